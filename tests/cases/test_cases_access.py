"""The need-to-know rules as a pure function: properties that must hold for every combination of facts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.cases import access
from palermo.cases.access import AccessFacts, visible_groups

DET = settings(derandomize=True, max_examples=500, deadline=None)
SCOPES = st.frozensets(st.sampled_from(["identity", "victim_context", "safeguards", "contact"]))
FACTS = st.builds(
    AccessFacts,
    can_view_cases=st.booleans(),
    on_case_team=st.booleans(),
    identification_body=st.booleans(),
    law_enforcement=st.booleans(),
    law_enforcement_identity=st.booleans(),
    law_enforcement_contact=st.booleans(),
    referral_scopes=SCOPES,
    break_glass=st.booleans(),
)


@DET
@given(FACTS)
def test_nothing_without_the_permission_to_see_cases(f):
    if not f.can_view_cases:
        assert visible_groups(f).groups == frozenset()


@DET
@given(FACTS)
def test_contact_only_for_the_case_team_or_break_glass(f):
    if access.CONTACT in visible_groups(f).groups:
        assert f.break_glass or f.on_case_team
        if not f.break_glass and f.law_enforcement and not f.identification_body:
            assert f.law_enforcement_contact


@DET
@given(FACTS)
def test_law_enforcement_sees_identity_only_with_consent_or_legal_basis(f):
    vis = visible_groups(f)
    if f.law_enforcement and not (
        f.identification_body or f.break_glass or "identity" in f.referral_scopes
    ):
        assert (access.IDENTITY in vis.groups) == (
            f.can_view_cases and f.on_case_team and f.law_enforcement_identity
        )


@DET
@given(FACTS)
def test_referral_receiver_sees_at_most_overview_and_consented_groups(f):
    if not (f.on_case_team or f.identification_body or f.break_glass):
        vis = visible_groups(f)
        assert vis.groups <= {access.OVERVIEW} | (f.referral_scopes & access.REFERRAL_SHAREABLE)
        assert access.CONTACT not in vis.groups


@DET
@given(
    FACTS,
    st.sampled_from(
        [
            "on_case_team",
            "identification_body",
            "break_glass",
            "law_enforcement_identity",
            "law_enforcement_contact",
        ]
    ),
)
def test_more_grounds_never_hide_anything(f, grant):
    more = AccessFacts(**{**f.__dict__, grant: True})
    assert visible_groups(f).groups <= visible_groups(more).groups


@DET
@given(FACTS)
def test_anything_visible_includes_the_overview_and_says_why(f):
    vis = visible_groups(f)
    if vis.visible:
        assert access.OVERVIEW in vis.groups and vis.basis
    assert vis.groups <= access.ALL_GROUPS


def test_break_glass_opens_everything():
    f = AccessFacts(True, False, False, True, break_glass=True)
    assert visible_groups(f).groups == access.ALL_GROUPS


@DET
@given(FACTS, st.booleans())
def test_outside_the_scope_nothing_is_visible_and_inside_it_the_scope_changes_nothing(f, scoped):
    """An exercise trainee's scope (core.scope): a case outside it shows nothing whatever the
    other facts (identification body and break-glass included); inside it, the rules as ever."""
    import dataclasses

    in_scope = dataclasses.replace(f, in_scope=True)
    out = dataclasses.replace(f, in_scope=False)
    assert visible_groups(in_scope) == visible_groups(f)  # the default: production
    assert visible_groups(out).groups == frozenset() and not visible_groups(out).visible
    assert (
        visible_groups(dataclasses.replace(f, in_scope=scoped)).groups <= visible_groups(f).groups
    )
