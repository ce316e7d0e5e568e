"""Write operations of the core context."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from palermo.core import audit
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Membership, Organisation, User
from palermo.core.roles import OrganisationType, Role


def administrator_create(
    *, username: str, email: str, organisation_name: str, org_type: str, country: str, password: str
) -> User:
    errors: list[FieldError] = []
    username = username.strip()
    if not username:
        errors.append(FieldError("username", "A login name is required."))
    elif User.objects.filter(username=username).exists():
        errors.append(FieldError("username", "This login name is taken."))
    if org_type not in OrganisationType.values:
        errors.append(
            FieldError(
                "org_type",
                "Unknown organisation type; use one of {choices}.",
                choices=", ".join(OrganisationType.values),
            )
        )
    country = country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        errors.append(FieldError("country", "Use an ISO 3166-1 alpha-2 code, e.g. RS."))
    if not organisation_name.strip():
        errors.append(FieldError("organisation", "An organisation name is required."))
    try:
        validate_password(password, User(username=username, email=email))
    except ValidationError as exc:
        errors.extend(FieldError("password", m) for m in exc.messages)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        org, _ = Organisation.objects.get_or_create(
            name=organisation_name.strip(), defaults={"org_type": org_type, "country": country}
        )
        user = User.objects.create_user(username=username, email=email, password=password)
        Membership.objects.create(user=user, organisation=org, role=Role.ADMINISTRATOR)
        audit.record(
            action="create",
            organisation=org,
            object_type="user",
            object_ref=str(user.pk),
            details={"via": "cli", "role": Role.ADMINISTRATOR},
        )
    return user
