"""Admin: the service directory only. Case files are never shown in the admin:
administrators manage organisations and users, not victims' data."""

from __future__ import annotations

from django.contrib import admin

from palermo.cases.models import ServiceProvider
from palermo.core.admin import PolicyModelAdmin, site


@admin.register(ServiceProvider, site=site)
class ServiceProviderAdmin(PolicyModelAdmin):
    list_display = [
        "organisation",
        "capacity",
        "area_served",
        "is_closed_facility",
        "accepts_children",
        "is_active",
    ]
    list_filter = ["is_active", "is_closed_facility", "accepts_children"]
    search_fields = ["organisation__name", "area_served"]
    autocomplete_fields = ["organisation"]
