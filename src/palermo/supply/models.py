"""Supply chains: suppliers, sites, risk data, screened purchase orders, the due-diligence
workflow of contracts, corrective actions and labour inspections.

No worker's personal data lives here. An inspection records what was found at a site
(ILO indicators, how many workers were interviewed); a worker who consents is screened in
the screening context, and this context keeps only the screening's pseudonymous reference,
shown to the inspectorate that made it and to nobody in procurement.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):  # vocabulary.LEVELS
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ImportBatch(models.Model):
    """One imported file: who, when, which file (SHA-256) — the provenance of its rows."""

    class Kind(models.TextChoices):
        SITES = "sites", _("Sites")
        RISK = "risk", _("Risk list")
        EXCLUSIONS = "exclusions", _("Exclusion list")
        ORDERS = "orders", _("Purchase orders")
        FINDINGS = "findings", _("Social-audit findings")
        ANSWERS = "answers", _("Questionnaire answers")
        RECRUITERS = "recruiters", _("Recruiter and site links")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    # An order import: the risk-list editions its lines were screened against (the current
    # edition of every kind of list then), so an old screening is shown and re-run on them.
    editions: models.ManyToManyField[RiskEdition, BatchEdition] = models.ManyToManyField(
        "RiskEdition", through="BatchEdition", related_name="+", blank=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.name}"


class Supplier(models.Model):
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    company_id = models.CharField(_("national company id"), max_length=40)
    lei = models.CharField(_("LEI"), max_length=20, blank=True)
    parent = models.CharField(_("parent company"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2)
    has_policy = models.BooleanField(_("anti-trafficking policy in place"), default=False)
    audit_access = models.BooleanField(_("audit reports made available"), default=False)
    sites_disclosed = models.BooleanField(_("sites in the supply chain disclosed"), default=False)
    is_recruiter = models.BooleanField(_("labour recruiter or agency"), default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "company_id"], name="supply_supplier_company_id"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def evidence(self) -> frozenset[str]:
        return frozenset(
            code
            for code, present in (
                ("policy", self.has_policy),
                ("audit", self.audit_access),
                ("sites", self.sites_disclosed),
            )
            if present
        )


class Site(models.Model):
    """A facility, in Open Supply Hub's fields."""

    class MatchStatus(models.TextChoices):
        NEW = "new", _("New site")
        POTENTIAL = "potential_match", _("Potential duplicate: to review")
        CONFIRMED = "confirmed", _("Reviewed")

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    os_id = models.CharField(_("OS ID"), max_length=15, blank=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    country = models.CharField(_("country"), max_length=2)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    workers_min = models.PositiveIntegerField(null=True, blank=True)
    workers_max = models.PositiveIntegerField(null=True, blank=True)
    sector = models.CharField(max_length=200, blank=True)
    product_type = models.CharField(max_length=200, blank=True)
    processing_type = models.CharField(max_length=200, blank=True)
    facility_type = models.CharField(max_length=200, blank=True)
    parent_company = models.CharField(max_length=200, blank=True)
    is_closed = models.BooleanField(default=False)
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="sites"
    )
    match_status = models.CharField(max_length=20, choices=MatchStatus.choices, default="new")
    possible_duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["country", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "os_id"],
                condition=~models.Q(os_id=""),
                name="supply_site_os_id",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SiteSource(models.Model):
    """Who said what about a site, when, and in which file: one per imported row."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="sources")
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="+")
    row = models.PositiveIntegerField()
    contributor = models.CharField(max_length=200, blank=True)
    contribution_date = models.DateField(null=True, blank=True)
    values = models.JSONField()  # the row as given (Open Supply Hub columns)
    match = models.CharField(max_length=20)  # sites.MATCHED / POTENTIAL / NEW

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row}"


class RiskEdition(models.Model):
    """One edition of a risk list, as the user downloaded it: a country × good list
    (``riskdata.FORMATS``; rows in ``entries``) or a supplier exclusion list
    (``riskdata.EXCLUSIONS``; rows in ``exclusions``). ``is_current`` holds for the latest
    edition of each format: a screening reads the current edition of every format."""

    format = models.CharField(max_length=20)  # riskdata.FORMATS key
    source = models.CharField(_("source"), max_length=300)
    edition = models.CharField(_("edition"), max_length=60)
    licence = models.CharField(_("licence"), max_length=200)
    retrieved_on = models.DateField(_("retrieved on"))
    url = models.URLField(_("address it was downloaded from"), blank=True)
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="+")
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["-batch__created_at", "-id"]
        constraints = [
            # Two imports of one kind of list at the same moment must not both stay current.
            models.UniqueConstraint(
                fields=["format"],
                condition=models.Q(is_current=True),
                name="supply_one_current_edition_per_format",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}, {self.edition}"


class RiskEntry(models.Model):
    edition = models.ForeignKey(RiskEdition, on_delete=models.CASCADE, related_name="entries")
    row = models.PositiveIntegerField()
    country_code = models.CharField(max_length=2)
    country = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    sector = models.CharField(max_length=100, blank=True)
    good = models.CharField(max_length=200)
    listings = models.JSONField()  # {"cl": [2009, null], "fl": [2010, 2018], …}

    class Meta:
        ordering = ["edition", "row"]

    def __str__(self) -> str:
        return f"{self.country_code} — {self.good}"


class BatchEdition(models.Model):
    """A risk-list edition an order import was screened against (``ImportBatch.editions``)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="+")
    edition = models.ForeignKey(RiskEdition, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "edition"], name="supply_batch_edition")
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.edition_id}"


class ExclusionEntry(models.Model):
    edition = models.ForeignKey(RiskEdition, on_delete=models.CASCADE, related_name="exclusions")
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="+")
    row = models.PositiveIntegerField()
    company_id = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    country_code = models.CharField(max_length=2)
    reason = models.CharField(max_length=500)
    listed_on = models.DateField()
    until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["edition", "row"]

    def __str__(self) -> str:
        return self.name


class Crosswalk(models.Model):
    """The buyer's product codes (HS, CPV, UNSPSC prefixes) → a good of the risk list."""

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("product code"), max_length=24)  # "cpv:18", "hs:6109"
    good = models.CharField(_("good"), max_length=200)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="supply_crosswalk_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} → {self.good}"


class Contract(models.Model):
    """A tender or contract walked through measures (a)–(g)."""

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(_("reference"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="contracts"
    )
    sites = models.ManyToManyField(Site, blank=True, related_name="contracts")
    risk_level = models.CharField(_("risk level"), max_length=10, choices=Level.choices)
    # The lifecycle stage (vocabulary.STAGES): moves forward only, through gates.check.
    stage = models.CharField(_("lifecycle stage"), max_length=20, default="need")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "reference"], name="supply_contract_reference"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"


class MeasureRecord(models.Model):
    """The record of one measure (a)–(g) on one contract; a new record replaces the old one
    and both stay in the audit trail."""

    class Outcome(models.TextChoices):  # diligence.OUTCOMES
        MET = "met", _("Met")
        NOT_MET = "not_met", _("Not met")
        WAIVED = "waived", _("Not applicable (reason recorded)")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="measures")
    code = models.CharField(max_length=1)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.TextField()
    evidence_name = models.CharField(max_length=200, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    evidence = models.BinaryField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "code"], name="supply_measure_once")
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}:{self.code}"


class OrderLine(models.Model):
    """A screened purchase-order line and the rule it was screened on; the risk-list editions
    are its batch's (``ImportBatch.editions``)."""

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="+")
    ref = models.CharField(max_length=90)
    supplier_name = models.CharField(max_length=200)
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    origin_country = models.CharField(max_length=2)
    good = models.CharField(max_length=200, blank=True)
    product_code = models.CharField(max_length=24, blank=True)
    value = models.DecimalField(max_digits=15, decimal_places=2)
    share = models.DecimalField(max_digits=4, decimal_places=2, default=1)
    characteristics = models.JSONField(default=list)
    level = models.CharField(max_length=10, choices=Level.choices)
    score = models.IntegerField()
    exposure = models.DecimalField(max_digits=15, decimal_places=2)
    result = models.JSONField()
    screened_at = models.DateTimeField()

    class Meta:
        ordering = ["-score", "-exposure", "ref"]

    def __str__(self) -> str:
        return self.ref


class CorrectiveAction(models.Model):
    """A finding (social audit or inspection) tied to an ILO indicator and a site, and the
    action that corrects it."""

    class Finding(models.TextChoices):
        NON_COMPLIANCE = "non_compliance", _("Non-compliance")
        OBSERVATION = "observation", _("Observation")

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="actions")
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    indicator = models.CharField(_("ILO indicator"), max_length=40)
    finding = models.CharField(_("finding"), max_length=20, choices=Finding.choices)
    workers_affected = models.PositiveIntegerField(_("workers affected"), default=0)
    description = models.TextField(_("what was found and what must change"))
    owner = models.CharField(_("owner"), max_length=200)
    due_on = models.DateField(_("deadline"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["closed_on", "due_on", "id"]

    def __str__(self) -> str:
        return f"{self.supplier_id}:{self.indicator}"


class FeeRepayment(models.Model):
    """Recruitment fees workers paid, owed back to them and repaid (employer pays)."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="fees")
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="fees"
    )
    workers_affected = models.PositiveIntegerField(_("workers affected"))
    amount_owed = models.DecimalField(_("amount owed"), max_digits=15, decimal_places=2)
    amount_repaid = models.DecimalField(_("amount repaid"), max_digits=15, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.supplier_id}:{self.amount_owed}"


class Inspection(models.Model):
    """A labour inspector's visit to a site: the ILO indicators found, no worker's identity."""

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="inspections")
    visited_on = models.DateField(_("date of the visit"))
    indicators = models.JSONField(default=list)  # vocabulary.ILO_INDICATORS keys
    workers_interviewed = models.PositiveIntegerField(_("workers interviewed"), default=0)
    summary = models.TextField(_("summary (no names)"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.site_id}:{self.visited_on}"


class InspectionReferral(models.Model):
    """A consenting worker met at an inspection, screened in the screening context."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="referrals")
    screening_reference = models.CharField(max_length=20, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.inspection_id}"


class FieldProvenance(models.Model):
    """Who or what set one field of a supplier or a site, when, and from which source: a row
    of an imported file, a person's edit, or a row matched to the site by its OS ID. The
    latest entry per field is the provenance of the value shown; older entries stay."""

    class Source(models.TextChoices):  # vocabulary.PROVENANCE_SOURCES
        IMPORT = "import", _("Imported file")
        MANUAL = "manual", _("Entered by hand")
        OS_ID = "os_id", _("Row matched by its OS ID")

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.CASCADE, related_name="provenance"
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="provenance"
    )
    field = models.CharField(max_length=40)
    value = models.CharField(max_length=300, blank=True)  # as set (shortened past 300)
    source = models.CharField(max_length=10, choices=Source.choices)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    row = models.PositiveIntegerField(null=True, blank=True)  # the file's row
    contributor = models.CharField(max_length=200, blank=True)  # who said it in the file
    # What says so, for a hand edit (a document, an audit report, a call): an imported
    # field's evidence is its file (batch, SHA-256) and row.
    evidence = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["site", "field"], name="supply_prov_site_field"),
            models.Index(fields=["supplier", "field"], name="supply_prov_supplier_field"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(supplier__isnull=True) ^ models.Q(site__isnull=True),
                name="supply_prov_one_record",
            )
        ]

    def __str__(self) -> str:
        return f"{self.field}:{self.source}"


class ContractClause(models.Model):
    """A model clause of the library (``clauses.py``) attached to a contract: the version
    given, its title and text as they were then (the library may change later)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="clauses")
    clause_id = models.CharField(max_length=60)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField()
    measures = models.CharField(max_length=7)  # the letters it serves, e.g. "ef"
    stage = models.CharField(max_length=20)
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    attached_at = models.DateTimeField()

    class Meta:
        ordering = ["attached_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "clause_id"], name="supply_clause_once")
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}:{self.clause_id}@{self.version}"


class InformationRequest(models.Model):
    """A competent authority's request for information under a forced-labour ban, about one
    supplier (optionally one of its sites, one product). The pack answering it is built
    from the registry when asked for; no worker's data is in it."""

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    authority = models.CharField(_("competent authority"), max_length=200)
    authority_reference = models.CharField(_("its reference"), max_length=100, blank=True)
    received_on = models.DateField(_("received on"))
    due_on = models.DateField(_("answer due on"), null=True, blank=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product = models.CharField(_("product"), max_length=200, blank=True)
    question = models.TextField(_("what the authority asks"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"{self.authority}:{self.received_on}"


class Questionnaire(models.Model):
    """A self-assessment questionnaire sent to a supplier (recorded here: there is no
    supplier portal), its answers as an officer entered or imported them, and the result of
    the rule ``supply-saq-1``. ``template``/``version`` name the shipped data file; the
    answers are always read against that version."""

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="questionnaires")
    template = models.CharField(max_length=60)
    version = models.PositiveIntegerField()
    sent_on = models.DateField(_("sent on"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answers = models.JSONField(default=dict)  # question id → answer code, number or text
    comments = models.JSONField(default=dict)  # question id → the supplier's comment
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    batch = models.ForeignKey(  # the answers file, when imported
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    score = models.IntegerField(default=0)
    level = models.CharField(max_length=10, choices=Level.choices, blank=True)
    red_flags = models.PositiveIntegerField(default=0)
    actions_at = models.DateTimeField(null=True, blank=True)  # red flags → corrective actions
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_on", "-id"]

    def __str__(self) -> str:
        return f"{self.supplier_id}:{self.template}-{self.version}"


class ClassificationMap(models.Model):
    """A buyer's CPV or UNSPSC code (a prefix of the classification) → an HS code, so a line
    classified in CPV or UNSPSC reaches the goods the crosswalk maps HS codes to."""

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("CPV or UNSPSC code"), max_length=24)  # normalised prefix
    given = models.CharField(max_length=24)  # as entered, e.g. "18100000-0"
    hs = models.CharField(_("HS code"), max_length=10)  # digits

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="supply_codemap_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} → hs:{self.hs}"


class RecruiterLink(models.Model):
    """A labour recruiter or agency (a supplier marked as one) that supplies workers to a site,
    with its provenance: who recorded it, when, and from what — a person's entry with the
    source they name, or a row of an imported file."""

    class Source(models.TextChoices):  # vocabulary.RECRUITER_LINK_SOURCES
        MANUAL = "manual", _("Entered by hand")
        IMPORT = "import", _("Imported file")

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    recruiter = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="placements")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="recruiters")
    workers = models.PositiveIntegerField(_("workers placed"), null=True, blank=True)
    evidence = models.CharField(  # what says so: "supplier's disclosure of 2026-02-01", …
        _("source of the information"), max_length=300
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    row = models.PositiveIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recruiter__name", "site__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["recruiter", "site"], name="supply_recruiter_site")
        ]

    def __str__(self) -> str:
        return f"{self.recruiter_id} → {self.site_id}"
