"""Admin screens for organisations, users and roles, behind the same policy."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy, ngettext

from palermo.core import audit
from palermo.core.models import (
    AuditEntry,
    Membership,
    OidcIdentity,
    Organisation,
    PersonalAccessToken,
    User,
)
from palermo.core.policy import (
    Perm,
    ViewPolicy,
    administers_all,
    has_perm,
    locally_grantable_roles,
)

# Every page of the admin site is under this one policy (see PolicyMiddleware).
ADMIN_POLICY = ViewPolicy("perm", perm=Perm.ADMINISTER)


class PalermoAdminSite(admin.AdminSite):
    site_header = "Palermo administration"
    site_title = "Palermo administration"
    index_title = "Organisations, users and roles"

    def has_permission(self, request: HttpRequest) -> bool:
        # The policy, not Django's is_staff flag, decides who administers.
        return has_perm(request.user, Perm.ADMINISTER, getattr(request, "organisation", None))  # type: ignore[arg-type]

    def login(self, request: HttpRequest, extra_context: Any = None) -> Any:
        from django.contrib.auth.views import redirect_to_login

        if request.user.is_authenticated:
            from palermo.core import audit
            from palermo.core.middleware import refused

            audit.record_refusal(request, perm=Perm.ADMINISTER)
            return refused(request, status=403)
        return redirect_to_login(request.get_full_path())


site = PalermoAdminSite(name="admin")


def _local_org(request: HttpRequest) -> Organisation | None:
    """The organisation an administrator is limited to; None for an administrator of the whole
    instance (acting for an identification body: ``policy.administers_all``)."""
    org: Organisation | None = getattr(request, "organisation", None)
    return None if administers_all(request.user, org) else org  # type: ignore[arg-type]


def _local_users(org: Organisation) -> Any:
    """Users an organisation's administrator may manage: every membership of theirs is in that
    organisation (or they have none yet), so no one who holds a role elsewhere — a national
    co-ordinator who also belongs to the NGO — can be taken over through a password reset."""
    from django.db.models import Exists, OuterRef

    elsewhere = Membership.objects.filter(user=OuterRef("pk")).exclude(organisation=org)
    return User.objects.exclude(Exists(elsewhere))


def _limit_membership_field(db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
    org = _local_org(request)
    if org is None:
        return
    if db_field.name == "organisation":
        kwargs["queryset"] = Organisation.objects.filter(pk=org.pk)
    elif db_field.name == "user":
        kwargs["queryset"] = _local_users(org)


def _role_choices(request: HttpRequest) -> list[tuple[str, Any]] | None:
    if _local_org(request) is None:
        return None
    allowed = locally_grantable_roles()
    return [
        (value, label)
        for value, label in Membership._meta.get_field("role").choices or []
        if value in allowed
    ]


class PolicyModelAdmin(admin.ModelAdmin):
    """Administrators manage everything here when they act for an identification body; an
    organisation's own administrator, only that organisation (``_local_org``). The site gate
    already checked the role."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return site.has_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return site.has_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return site.has_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return site.has_permission(request)

    # Lists and pages here show staff's personal data (names, e-mails, roles): audited reads,
    # like the other lists. A search is recorded as done, never what was typed.
    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 200) == 200:
            audit.record_request(
                request,
                action="read",
                object_type=f"{self.model._meta.model_name}_list",
                details={"via": "admin", "search": bool(request.GET.get("q"))},
            )
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 200) == 200:
            audit.record_request(
                request,
                action="read",
                object_type=self.model._meta.model_name,
                object_ref=str(object_id)[:40],
                details={"via": "admin"},
            )
        return response

    # Changes made here are audited like any other write.
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _audit_admin(request, "update" if change else "create", obj, sorted(form.changed_data))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        _audit_admin(request, "delete", obj, [])
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            _audit_admin(request, "delete", obj, [])
        super().delete_queryset(request, queryset)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            _audit_admin(request, "delete", obj, [])
            obj.delete()
        for obj in instances:
            created = obj.pk is None
            obj.save()
            _audit_admin(request, "create" if created else "update", obj, [])
        formset.save_m2m()


def _audit_admin(request: HttpRequest, action: str, obj: Any, fields: list[str]) -> None:
    from palermo.core import audit

    audit.record_request(
        request,
        action=action,
        object_type=obj._meta.model_name,
        object_ref=str(obj.pk),
        details={"fields": fields, "via": "admin"},
    )


class MembershipFields:
    """The user and organisation a membership form offers, and the roles: limited to what the
    administrator may grant (``_limit_membership_field``, ``_role_choices``). Shared by the
    membership screen and the memberships inline on a user."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        _limit_membership_field(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        choices = _role_choices(request) if db_field.name == "role" else None
        if choices is not None:
            kwargs["choices"] = choices
        return super().formfield_for_choice_field(db_field, request, **kwargs)  # type: ignore[misc]


class MembershipInline(MembershipFields, admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["organisation"]

    def get_queryset(self, request: HttpRequest) -> Any:
        org = _local_org(request)
        qs = super().get_queryset(request)
        return qs if org is None else qs.filter(organisation=org)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return site.has_permission(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


class OidcIdentityInline(admin.TabularInline):
    """Single sign-on links: an administrator links a provider identity (issuer and
    subject) to the account; roles still come from memberships."""

    model = OidcIdentity
    extra = 0
    fields = ["issuer", "subject", "created_at", "last_login_at"]
    readonly_fields = ["created_at", "last_login_at"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return site.has_permission(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.action(description=gettext_lazy("Reset two-step sign-in (lost phone or key)"))
def reset_two_step(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
    from palermo.core import mfa

    for user in queryset:
        mfa.mfa_reset(
            actor=request.user,
            organisation=getattr(request, "organisation", None),
            user=user,
            request=request,
        )
    modeladmin.message_user(
        request,
        ngettext(
            "Two-step sign-in was reset for %(count)d user. They set it up again at their next sign-in.",
            "Two-step sign-in was reset for %(count)d users. They set it up again at their next sign-in.",
            queryset.count(),
        )
        % {"count": queryset.count()},
    )


@admin.register(Organisation, site=site)
class OrganisationAdmin(PolicyModelAdmin):
    list_display = ["name", "org_type", "country", "is_identification_body", "is_active"]
    list_filter = ["org_type", "is_identification_body", "is_active", "country"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> Any:
        org = _local_org(request)
        qs = super().get_queryset(request)
        return qs if org is None else qs.filter(pk=org.pk)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if _local_org(request) is None:
            return super().get_readonly_fields(request, obj)
        return ["org_type", "is_identification_body", "is_active"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and _local_org(request) is None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and _local_org(request) is None


@admin.register(User, site=site)
class PalermoUserAdmin(PolicyModelAdmin, UserAdmin):
    inlines = [MembershipInline, OidcIdentityInline]
    actions = [reset_two_step]
    list_display = ["username", "email", "first_name", "last_name", "is_active", "last_login"]
    list_filter = ["is_active", "memberships__role", "memberships__organisation"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def get_queryset(self, request: HttpRequest) -> Any:
        org = _local_org(request)
        qs = super().get_queryset(request)
        return qs if org is None else qs.filter(pk__in=_local_users(org).values("pk"))

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        """Setting someone's password is audited, and revokes their API tokens (``User.save``)."""
        user = self.get_object(request, id)
        before = (
            PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).count()
            if user
            else 0
        )
        response = super().user_change_password(request, id, form_url)
        if user is not None and request.method == "POST" and response.status_code == 302:
            from palermo.core.views import tell_tokens_revoked

            _audit_admin(request, "update", user, ["password"])
            after = PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).count()
            tell_tokens_revoked(request, before - after, own=False)
        return response


@admin.register(Membership, site=site)
class MembershipAdmin(MembershipFields, PolicyModelAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role", "organisation"]
    search_fields = ["user__username", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]

    def get_queryset(self, request: HttpRequest) -> Any:
        org = _local_org(request)
        qs = super().get_queryset(request)
        return qs if org is None else qs.filter(organisation=org, user__in=_local_users(org))


@admin.register(PersonalAccessToken, site=site)
class TokenAdmin(PolicyModelAdmin):
    """Administrators can see and revoke tokens, never read or create them."""

    list_display = [
        "name",
        "prefix",
        "user",
        "organisation",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = [
        "user",
        "organisation",
        "name",
        "prefix",
        "digest",
        "created_at",
        "last_used_at",
        "expires_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        org = _local_org(request)
        qs = super().get_queryset(request)
        return qs if org is None else qs.filter(organisation=org)


@admin.register(AuditEntry, site=site)
class AuditEntryAdmin(PolicyModelAdmin):
    """Read-only: the trail is append-only everywhere."""

    list_display = ["seq", "at", "actor_username", "action", "object_type", "object_ref", "outcome"]
    list_filter = ["action", "outcome", "object_type"]

    def get_queryset(self, request: HttpRequest) -> Any:
        # The same entries as the audit viewer and the API: an administrator holds
        # core.view_audit (their organisation's entries), never the national trail.
        from palermo.core.selectors import audit_entries_visible_to

        return audit_entries_visible_to(
            request.user,  # type: ignore[arg-type]
            getattr(request, "organisation", None),
        ).order_by("-id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
