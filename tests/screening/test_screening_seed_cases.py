"""The three cases from the seeds (identification.md) must be classified sensibly.

Indicators are ticked only for facts the seed text states; each choice is commented.
"""

from __future__ import annotations

from palermo.screening.engine import screen_mapping
from palermo.screening.loader import default_catalogue


def dims(result, set_index: int = 0) -> dict[str, bool]:
    return {d.key: d.positive for d in result.sets[set_index].dimensions}


# Seed 002, l. 727-742: V., domestic worker in an 8-person household in Vienna.
DOMESTIC_WORKER = {
    "age": 30,  # adult; the text gives no age
    "forms": ["domestic_servitude"],
    "indicators": [
        # promised a residence permit, health insurance and accommodation
        {"key": "deceived_about_legal_status", "source": "self_reported"},
        {"key": "deceived_about_conditions", "source": "self_reported"},
        {"key": "deceived_about_wages", "source": "self_reported"},
        # 18 hours a day, seven days a week, no salary
        "excessive_working_hours",
        "low_or_no_salary",
        "ds_very_long_hours",
        "ds_no_wages",
        # passport confiscated on arrival; threatened with prison when she asked for it
        {"key": "coerced_documents_confiscated", "source": "self_reported"},
        {"key": "coerced_threat_of_denunciation", "source": "self_reported"},
        "ds_documents_confiscated",
    ],
}

# Seed 002, l. 875-895: B., 23, offered work as a waitress, forced into street prostitution.
YOUNG_WOMAN = {
    "age": 23,
    "forms": ["sexual"],
    "indicators": [
        "deceived_about_job",  # offered work as a waitress
        "deceived_about_conditions",
        "vulnerable_at_recruitment_economic_reasons",  # miserable life and working conditions
        "vulnerable_at_recruitment_personal_situation",
        "excessive_working_hours",  # 12 hours a day, 7 days a week
        "wage_manipulation",  # fines whenever she broke the exploiter's rules
        "coerced_debt_bondage",  # a EUR 15,000 debt to repay
        "coerced_tasks_or_clients",  # had to work as a street prostitute
    ],
}

# Seed 002, l. 2368-2388: farm workers in Rosarno, 10-14 hour days, EUR 22 a day of which
# EUR 13 was taken back; isolated farms without water or electricity; threatened with
# death or beaten if they reacted. Nothing is said about how they were recruited.
FARM_WORKERS = {
    "age": 35,
    "forms": "labour",
    "excessive_working_hours": "observed",
    "low_or_no_salary": "document",
    "wage_manipulation": "document",
    "bad_living_conditions": "observed",
    "coerced_threats_of_violence": "self_reported",
    "coerced_violence_on_victim": "self_reported",
    "vulnerable_at_destination_economic_reasons": "x",
}


def test_domestic_worker_is_trafficking_and_domestic_servitude() -> None:
    result = screen_mapping(DOMESTIC_WORKER, default_catalogue())
    assert result.assessment == "trafficking_for_labour_exploitation"
    assert result.assessments == ("trafficking_for_labour_exploitation", "domestic_servitude")
    assert result.status == "presumed_victim"
    assert result.status_rule == "combination_met"
    assert "severe_exploitation" in result.rules_met
    labour, servitude = result.sets
    assert labour.set_id == "ilo-ec-2009-adults-labour" and labour.outcome_positive
    assert dims(result) == {
        "deceptive_recruitment": True,
        "coercive_recruitment": False,
        "abuse_of_vulnerability_at_recruitment": False,
        "exploitative_conditions": True,
        "coercion_at_destination": True,
        "abuse_of_vulnerability_at_destination": False,
    }
    assert servitude.set_id == "osce-2010-domestic-servitude"
    assert [c.met for c in servitude.criteria] == [True, True, True]
    codes = [s.code for s in result.next_steps]
    assert codes == ["refer_to_identification_body", "offer_assistance_and_reflection_period"]


def test_domestic_servitude_criteria_also_met_by_labour_indicators_alone() -> None:
    """The three outreach questions (passport, watched, paid) map onto labour indicators,
    so a screener need not tick the same fact twice."""
    result = screen_mapping(
        {
            "age": 40,
            "forms": "domestic_servitude",
            "indicators": [
                "excessive_working_hours",
                "low_or_no_salary",
                "coerced_documents_confiscated",
            ],
        },
        default_catalogue(),
    )
    servitude = result.sets[1]
    assert servitude.outcome == "domestic_servitude"
    assert "domestic_servitude" in result.assessments


def test_young_woman_is_trafficking_for_sexual_exploitation() -> None:
    result = screen_mapping(YOUNG_WOMAN, default_catalogue())
    assert result.assessment == "trafficking_for_sexual_exploitation"
    assert result.status == "presumed_victim"
    assert result.status_rule == "combination_met"
    assert dims(result)["abuse_of_vulnerability_at_recruitment"] is False  # two medium only
    assert dims(result)["deceptive_recruitment"] is True
    assert dims(result)["coercion_at_destination"] is True  # two strong
    # the sexual list is not transcribed, and the explanation says so
    assert result.sets[0].transcribed is False
    assert any("not transcribed" in sentence for sentence in result.explanation)


def test_farm_workers_are_presumed_victims_on_severe_exploitation() -> None:
    """Exploitation and coercion at destination are positive, recruitment is unknown:
    the full combination cannot be met, but the benefit of the doubt applies."""
    result = screen_mapping(FARM_WORKERS, default_catalogue())
    assert result.assessment == "exploitation_with_partial_means"
    assert result.sets[0].missing_stages == ("recruitment",)
    assert result.status == "presumed_victim"
    assert result.status_rule == "severe_exploitation"
    gather = [s for s in result.next_steps if s.code == "gather_information"]
    assert gather and "recruitment" in gather[0].text


def test_farm_workers_with_recruitment_known_are_trafficking() -> None:
    answers = {
        **FARM_WORKERS,
        # migrants without papers, recruited for lack of income: three medium indicators
        "vulnerable_at_recruitment_illegal_status": "x",
        "vulnerable_at_recruitment_economic_reasons": "x",
        "vulnerable_at_recruitment_lack_of_information": "x",
    }
    result = screen_mapping(answers, default_catalogue())
    assert result.assessment == "trafficking_for_labour_exploitation"
    assert result.status_rule == "combination_met"
    assert not any(s.code == "gather_information" for s in result.next_steps)


def test_a_child_domestic_worker_needs_no_means() -> None:
    """The same household facts for a 15-year-old: recruitment and exploitation suffice,
    and child protection is triggered."""
    answers = {
        "age": 15,
        "forms": ["domestic_servitude"],
        "indicators": [
            "deceived_about_education",
            "deceived_about_wages",
            "excessive_working_hours",
            "no_access_to_education",
        ],
    }
    result = screen_mapping(answers, default_catalogue())
    assert result.age_group == "child"
    assert result.assessment == "trafficking_of_a_child_for_labour_exploitation"
    assert result.sets[0].set_id == "ilo-ec-2009-children-labour"
    codes = [s.code for s in result.next_steps]
    assert "notify_child_protection" in codes and "request_guardian" in codes
    assert "no_detention" in codes and "refer_labour_rights" not in codes
