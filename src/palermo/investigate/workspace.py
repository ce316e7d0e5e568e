"""The investigation workspace: one in-process DuckDB database per investigation.

The Django shell holds one :class:`Workspace` per investigation (a file under
its storage) and calls these methods; the CLI does the same on a file path.
Nothing here imports Django.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import duckdb

from palermo.core.limits import ImportLimits, LimitExceeded, check_size
from palermo.investigate.classify import CategoryTable, load_category_table
from palermo.investigate.evidence import EvidencePack, assemble_pack, render_html, render_pdf
from palermo.investigate.ftm import write_entities
from palermo.investigate.ingest import (
    STATEMENT_LIMITS,
    ImportReport,
    _drop_stage,
    check_stage_limits,
    commit_stage,
    file_sha256,
    records_digest,
    stage_amlsim,
    stage_amlsim_labels,
    stage_camt053,
    stage_csv,
    stage_records,
)
from palermo.investigate.network import (
    NetworkReport,
    analyse_network,
    materialise_cycles,
    materialise_layers,
)
from palermo.investigate.normalise import (
    NormalisationError,
    normalise_address,
    normalise_email,
    normalise_iban,
    normalise_name,
    normalise_org_name,
    normalise_phone,
)
from palermo.investigate.proceeds import ProceedsEstimate, estimate_proceeds
from palermo.investigate.profiles import CsvProfile, load_profile
from palermo.investigate.redflags import (
    Alert,
    Decision,
    RulePack,
    RuleRunReport,
    SkippedRule,
    load_rule_pack,
    run_rule_pack,
)
from palermo.investigate.resolve import (
    ERRecord,
    Judgement,
    JudgementStore,
    MatchProposal,
    propose_matches,
    record_judgement,
    resolve_clusters,
)
from palermo.investigate.schema import create_schema

__all__ = ["Workspace", "PartyError", "WorkspaceJudgementStore"]


def _ids(
    iban: str | None, phone: str | None, email: str | None, addr: str | None, device: str | None
) -> dict[str, frozenset[str]]:
    pairs = {"iban": iban, "phone": phone, "email": email, "address": addr, "device": device}
    return {k: frozenset([v]) for k, v in pairs.items() if v}


class WorkspaceJudgementStore:
    """JudgementStore kept in the workspace file itself (CLI and stand-alone use).

    The Django shell passes its own store backed by a model instead.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    @staticmethod
    def _row(r: Sequence[Any]) -> Judgement:
        return Judgement(
            pair_key=r[0],
            left=r[1],
            right=r[2],
            decision=r[3],
            decided_by=r[4],
            decided_at=r[5],
            note=r[6],
        )

    def get(self, pair_key: str) -> Judgement | None:
        row = self.con.execute(
            "SELECT * FROM er_judgement WHERE pair_key = ?", [pair_key]
        ).fetchone()
        return self._row(row) if row else None

    def put(self, judgement: Judgement) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO er_judgement VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                judgement.pair_key,
                judgement.left,
                judgement.right,
                judgement.decision,
                judgement.decided_by,
                judgement.decided_at.replace(tzinfo=None),
                judgement.note,
            ],
        )

    def all(self) -> Iterable[Judgement]:
        return [
            self._row(r)
            for r in self.con.execute("SELECT * FROM er_judgement ORDER BY pair_key").fetchall()
        ]


class PartyError(ValueError):
    """A case record that cannot be added (the message names the field)."""


class Workspace:
    """Statements, entities, alerts and decisions of one investigation.

    ``path`` is a DuckDB file (created if absent) or ``":memory:"``.
    ``memory_limit`` caps DuckDB's own memory (it spills to disk beyond it).
    """

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        memory_limit: str | None = "6GB",
        threads: int | None = None,
        judgements: JudgementStore | None = None,
        rule_pack: RulePack | None = None,
        categories: CategoryTable | None = None,
    ) -> None:
        self.path = str(path)
        self.con = duckdb.connect(self.path)
        if memory_limit:
            self.con.execute("SET memory_limit = ?", [memory_limit])
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        create_schema(self.con)
        self.judgements: JudgementStore = judgements or WorkspaceJudgementStore(self.con)
        self.rule_pack = rule_pack or load_rule_pack()
        self.categories = categories or load_category_table()

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --------------------------------------------------------------------- ingest

    def _already(
        self, source_id: str, name: str, kind: str, profile: str | None
    ) -> ImportReport | None:
        row = self.con.execute(
            "SELECT rows_read FROM source WHERE source_id = ?", [source_id]
        ).fetchone()
        if row is None:
            return None
        return ImportReport(
            source_id=source_id,
            file_name=name,
            kind=kind,
            profile=profile,
            rows_read=int(row[0]),
            rows_inserted=0,
            rows_duplicate=int(row[0]),
            already_imported=True,
        )

    def ingest(
        self,
        path: str | Path,
        *,
        kind: str | None = None,
        profile: CsvProfile | str | None = None,
        account: str | None = None,
        account_name: str | None = None,
        limits: ImportLimits = STATEMENT_LIMITS,
    ) -> ImportReport:
        """Import one statement file; all-or-nothing, idempotent, with provenance.

        ``kind`` is ``csv`` (needs ``profile``), ``camt053`` or ``amlsim`` (the
        AMLSim ``transactions`` file; ``accounts`` beside it gives names); guessed
        from the suffix when None (``.xml`` camt053, ``.parquet`` amlsim, ``.csv`` csv).
        A file over ``limits`` (size, rows, cell length) raises
        :class:`~palermo.core.limits.LimitExceeded` and changes nothing.
        """
        path = Path(path)
        if kind is None:
            kind = {".xml": "camt053", ".parquet": "amlsim"}.get(path.suffix.lower(), "csv")
        if kind not in {"csv", "camt053", "amlsim"}:
            raise ValueError(f"unknown statement kind {kind!r}")
        prof: CsvProfile | None = None
        if kind == "csv":
            if profile is None:
                raise ValueError("a CSV import needs a mapping profile")
            prof = profile if isinstance(profile, CsvProfile) else load_profile(profile)
        check_size(path.stat().st_size, limits)
        source_id = file_sha256(path)
        profile_id = prof.id if prof else None
        done = self._already(source_id, path.name, kind, profile_id)
        if done:
            return done
        if kind == "csv":
            assert prof is not None
            n, early, ferr = stage_csv(
                self.con, path, prof, account=account, account_name=account_name
            )
        elif kind == "camt053":
            n, early, ferr = stage_camt053(self.con, path)
        else:
            n, early, ferr = stage_amlsim(self.con, path)
        if not ferr:
            try:
                check_stage_limits(self.con, n, limits)
            except LimitExceeded:
                _drop_stage(self.con)
                self.con.execute("DROP TABLE IF EXISTS stage_raw")
                raise
        report = commit_stage(
            self.con,
            source_id=source_id,
            file_name=path.name,
            kind=kind,
            profile=profile_id,
            rows_read=n,
            early_errors=early,
            file_errors=ferr,
            categories=self.categories,
            holder_kind="person" if kind == "amlsim" else None,
        )
        if report.ok and kind == "amlsim":
            stage_amlsim_labels(self.con, path)
            self._amlsim_addresses(path)
        return report

    def _amlsim_addresses(self, transactions: Path) -> None:
        from palermo.investigate.ingest import _amlsim_file, _reader

        accounts = _amlsim_file(transactions.parent, "accounts")
        if accounts is None:
            return
        rows = self.con.execute(
            f"SELECT 'amlsim:' || CAST(acct_id AS VARCHAR), concat_ws(', ', street_addr, city, state, zip, country) "  # noqa: S608 - constant fragments; the path is bound as $accounts
            f"FROM {_reader(accounts, 'accounts')}",
            {"accounts": str(accounts)},
        ).fetchall()
        keys = [r[0] for r in rows]
        norm = [normalise_address(r[1]) for r in rows]
        self.con.execute(
            "UPDATE account SET address_norm = m.n FROM (SELECT unnest($1::VARCHAR[]) AS k, "
            "unnest($2::VARCHAR[]) AS n) m WHERE account.account_key = m.k",
            [keys, norm],
        )

    def ingest_records(
        self, records: Sequence[Mapping[str, Any]], *, source_name: str
    ) -> ImportReport:
        """Import payer -> payee records handed over in memory (by the shell or tests).

        Provenance is the sha256 of the records' canonical JSON form.
        """
        source_id = records_digest(list(records))
        done = self._already(source_id, source_name, "records", None)
        if done:
            return done
        n, early, ferr = stage_records(self.con, records)
        return commit_stage(
            self.con,
            source_id=source_id,
            file_name=source_name,
            kind="records",
            profile=None,
            rows_read=n,
            early_errors=early,
            file_errors=ferr,
            categories=self.categories,
        )

    def sources(self) -> list[dict[str, Any]]:
        """Every imported file with its sha256, for the evidence pack."""
        cols = [
            "source_id",
            "file_name",
            "kind",
            "profile",
            "imported_at",
            "rows_read",
            "rows_inserted",
            "rows_duplicate",
        ]
        rows = self.con.execute(
            f"SELECT {', '.join(cols)} FROM source ORDER BY imported_at"  # noqa: S608 - constant fragments
        ).fetchall()
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def transactions(self, tx_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Transactions by id with their provenance (source file, hash, line)."""
        cols = [
            "tx_id",
            "booked_at",
            "amount",
            "currency",
            "payer_key",
            "payee_key",
            "payer_category",
            "payee_category",
            "description",
            "source_id",
            "file_name",
            "line_no",
            "payer_name",
            "payee_name",
        ]
        rows = self.con.execute(
            """
            SELECT t.tx_id, t.booked_at, t.amount, t.currency, t.payer_key, t.payee_key,
                   t.payer_category, t.payee_category, t.description, t.source_id, s.file_name, t.line_no,
                   pa.holder_name, pb.holder_name
            FROM tx t JOIN source s USING (source_id)
            LEFT JOIN account pa ON pa.account_key = t.payer_key
            LEFT JOIN account pb ON pb.account_key = t.payee_key
            WHERE t.tx_id IN (SELECT unnest(?::VARCHAR[]))
            ORDER BY t.booked_at, t.tx_id
            """,
            [list(tx_ids)],
        ).fetchall()
        return [dict(zip(cols, r, strict=True)) for r in rows]

    # --------------------------------------------------------------- case records

    def add_parties(
        self, parties: Iterable[Mapping[str, Any]], *, default_region: str | None = None
    ) -> int:
        """Add people and companies from case records; returns how many were added.

        Each mapping has ``party_id`` and ``schema`` (Person, Company, LegalEntity)
        and any of ``name``, ``birth_date``, ``phone``, ``email``, ``address``,
        ``device_id``, ``iban``, ``role`` (victim, suspect, witness, other),
        ``record_ref``. Identifiers are normalised; a malformed one is an error
        naming the party and the field. Accounts with the party's IBAN inherit
        its phone, e-mail, address and device where they have none.
        """
        rows = []
        for p in parties:
            pid = p.get("party_id")
            if not pid:
                raise PartyError("party_id is required")
            schema = p.get("schema", "Person")
            if schema not in {"Person", "Company", "LegalEntity"}:
                raise PartyError(f"{pid}: schema must be Person, Company or LegalEntity")
            try:
                phone = normalise_phone(p.get("phone"), default_region=default_region)
                email = normalise_email(p.get("email"))
                iban = normalise_iban(p.get("iban"))
            except NormalisationError as exc:
                raise PartyError(f"{pid}: {exc}") from exc
            name = p.get("name")
            norm = normalise_org_name(name) if schema == "Company" else normalise_name(name)
            rows.append(
                [
                    str(pid),
                    schema,
                    name,
                    norm,
                    p.get("birth_date"),
                    phone,
                    email,
                    p.get("address"),
                    normalise_address(p.get("address")),
                    p.get("device_id"),
                    iban,
                    p.get("role"),
                    p.get("record_ref"),
                ]
            )
        self.con.execute("BEGIN TRANSACTION")
        try:
            for row in rows:
                self.con.execute("DELETE FROM party WHERE party_id = ?", [row[0]])
                self.con.execute(
                    "INSERT INTO party VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row
                )
            self.con.execute(
                """
                UPDATE account SET
                    phone = coalesce(account.phone, p.phone),
                    email = coalesce(account.email, p.email),
                    address = coalesce(account.address, p.address),
                    address_norm = coalesce(account.address_norm, p.address_norm),
                    device_id = coalesce(account.device_id, p.device_id),
                    holder_name = coalesce(account.holder_name, p.name),
                    holder_name_norm = coalesce(account.holder_name_norm, p.name_norm),
                    holder_kind = CASE WHEN account.holder_kind IN ('company', 'person')
                                       THEN account.holder_kind
                                       WHEN p.schema = 'Company' THEN 'company' ELSE 'person' END
                FROM party p WHERE p.iban IS NOT NULL AND account.iban = p.iban
                """
            )
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        return len(rows)

    def add_relation(
        self, schema: str, from_id: str, to_id: str, properties: Mapping[str, Any] | None = None
    ) -> str:
        """Record a relation from case work (Ownership, Employment, Debt …) for the FtM export."""
        if schema not in {"Ownership", "Employment", "Debt", "Associate", "Family", "Directorship"}:
            raise ValueError(f"unsupported relation schema {schema!r}")
        payload = json.dumps(dict(properties or {}), sort_keys=True, default=str)
        rid = hashlib.sha256(f"{schema}|{from_id}|{to_id}|{payload}".encode()).hexdigest()[:32]
        self.con.execute(
            "INSERT OR REPLACE INTO relation VALUES (?, ?, ?, ?, ?)",
            [rid, schema, from_id, to_id, payload],
        )
        return rid

    # --------------------------------------------------------- entity resolution

    def er_records(self) -> list[ERRecord]:
        """Account holders and case-record parties as records to resolve."""
        out: list[ERRecord] = []
        for key, name, iban, phone, email, addr, device in self.con.execute(
            "SELECT account_key, holder_name_norm, iban, phone, email, address_norm, device_id FROM account"
        ).fetchall():
            out.append(ERRecord(f"account:{key}", name, _ids(iban, phone, email, addr, device)))
        for pid, name, iban, phone, email, addr, device in self.con.execute(
            "SELECT party_id, name_norm, iban, phone, email, address_norm, device_id FROM party"
        ).fetchall():
            out.append(ERRecord(f"party:{pid}", name, _ids(iban, phone, email, addr, device)))
        return out

    def propose_matches(self, **settings: Any) -> list[MatchProposal]:
        """Pairs for the investigator to judge; judged pairs never come back."""
        return propose_matches(self.er_records(), self.judgements, **settings)

    def judge_match(
        self, left: str, right: str, decision: str, *, decided_by: str, note: str | None = None
    ) -> Judgement:
        """Record 'same' or 'different' for a pair of records."""
        return record_judgement(
            self.judgements, left, right, decision, decided_by=decided_by, note=note
        )

    def clusters(self) -> dict[str, str]:
        """Record id -> resolved entity id, after applying every stored judgement."""
        return resolve_clusters([r.record_id for r in self.er_records()], self.judgements)

    def _refresh_er_same(self) -> None:
        pairs = [
            (j.left.removeprefix("account:"), j.right.removeprefix("account:"))
            for j in self.judgements.all()
            if j.decision == "same"
            and j.left.startswith("account:")
            and j.right.startswith("account:")
        ]
        self.con.execute("CREATE OR REPLACE TEMP TABLE er_same (a VARCHAR, b VARCHAR)")
        if pairs:
            self.con.execute(
                "INSERT INTO er_same SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[])",
                [[a for a, _ in pairs], [b for _, b in pairs]],
            )

    # --------------------------------------------------------------------- rules

    def decisions(self) -> list[Decision]:
        rows = self.con.execute(
            "SELECT alert_key, rule_id, subject, tx_ids, decision FROM alert_decision"
        ).fetchall()
        return [Decision(r[0], r[1], r[2], tuple(r[3]), r[4]) for r in rows]

    def run_rules(
        self,
        *,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        only: set[str] | None = None,
    ) -> RuleRunReport:
        """Run the rule pack; store and return the alerts not already decided."""
        self._refresh_er_same()
        started = datetime.now(UTC).replace(tzinfo=None)
        report = run_rule_pack(
            self.con,
            self.rule_pack,
            overrides=overrides,
            decisions=self.decisions(),
            derive={"cycles": materialise_cycles, "layers": materialise_layers},
            only=only,
        )
        self.con.execute("BEGIN TRANSACTION")
        try:
            for a in report.alerts:
                self.con.execute(
                    "INSERT OR REPLACE INTO alert VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        a.alert_key,
                        report.run_id,
                        a.rule_id,
                        a.rule_version,
                        a.subject,
                        list(a.tx_ids),
                        a.score,
                        a.summary,
                        started,
                    ],
                )
            self.con.execute(
                "INSERT INTO rule_run VALUES (?, ?, ?, ?)",
                [
                    report.run_id,
                    started,
                    datetime.now(UTC).replace(tzinfo=None),
                    json.dumps(report.as_dict()),
                ],
            )
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        return report

    def decide_alert(
        self, alert_key: str, decision: str, *, decided_by: str, note: str | None = None
    ) -> None:
        """Confirm or dismiss an alert; it will not be raised again for the same transactions."""
        if decision not in {"confirmed", "dismissed"}:
            raise ValueError("decision must be 'confirmed' or 'dismissed'")
        row = self.con.execute(
            "SELECT rule_id, subject, tx_ids FROM alert WHERE alert_key = ?", [alert_key]
        ).fetchone()
        if row is None:
            raise KeyError(alert_key)
        self.con.execute(
            "INSERT INTO alert_decision VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                alert_key,
                row[0],
                row[1],
                row[2],
                decision,
                note,
                decided_by,
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )

    def alerts(self, *, include_decided: bool = False) -> list[Alert]:
        """Stored alerts (by default those without a decision), best score first."""
        rows = self.con.execute(
            f"""
            SELECT a.alert_key, a.rule_id, a.rule_version, a.subject, a.tx_ids, a.score, a.summary
            FROM alert a
            {"" if include_decided else "WHERE a.alert_key NOT IN (SELECT alert_key FROM alert_decision)"}
            ORDER BY a.rule_id, a.score DESC, a.subject
            """  # noqa: S608 - constant fragments only; values are bound
        ).fetchall()
        rules = {r.id: r for r in self.rule_pack.rules}
        out = []
        for key, rid, ver, subject, txs, score, summary in rows:
            rule = rules.get(rid)
            out.append(
                Alert(
                    alert_key=key,
                    rule_id=rid,
                    rule_version=ver,
                    subject=subject,
                    tx_ids=tuple(txs),
                    score=float(score or 0),
                    summary=summary or "",
                    exploitation=rule.exploitation if rule else (),
                    typology=rule.typology if rule else "",
                )
            )
        return out

    def standing_alerts(self) -> list[Alert]:
        """The open and the confirmed alerts: every alert whose latest decision is not a dismissal."""
        dismissed = {
            r[0]
            for r in self.con.execute(
                "SELECT alert_key FROM alert_decision GROUP BY alert_key "
                "HAVING arg_max(decision, decided_at) = 'dismissed'"
            ).fetchall()
        }
        return [a for a in self.alerts(include_decided=True) if a.alert_key not in dismissed]

    def alert_accounts(self, alerts: Sequence[Alert] | None = None) -> list[str]:
        """The accounts that standing alerts are about (shared-identifier subjects left out)."""
        chosen = self.standing_alerts() if alerts is None else alerts
        return sorted(
            {
                a.subject
                for a in chosen
                if not a.subject.startswith(("address:", "phone:", "email:", "device:"))
            }
        )

    # ------------------------------------------------------------------- network

    def network(
        self,
        *,
        focus: Sequence[str] | None = None,
        victim_accounts: Sequence[str] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> NetworkReport:
        """Hubs, roles, cycles and money paths (cycles from the last rule run)."""
        # Open and confirmed alerts: confirming an alert must not hide the owner it points to.
        flagged = [t for a in self.standing_alerts() for t in a.tx_ids]
        return analyse_network(
            self.con,
            focus=focus,
            flagged_tx=flagged,
            victim_accounts=victim_accounts,
            settings=settings,
        )

    # ------------------------------------------------------------------ proceeds

    def proceeds(
        self,
        *,
        offender_accounts: Sequence[str],
        victim_accounts: Sequence[str] = (),
        flagged_tx: Sequence[str] | None = None,
        reference_monthly_wage: Decimal | None = None,
        **settings: Any,
    ) -> ProceedsEstimate:
        """Confiscation and compensation totals, each with its method.

        ``flagged_tx`` defaults to the transactions of confirmed alerts, or of all
        open alerts when none is confirmed yet.
        """
        if flagged_tx is None:
            confirmed = self.con.execute(
                "SELECT DISTINCT unnest(tx_ids) FROM alert_decision WHERE decision = 'confirmed'"
            ).fetchall()
            flagged_tx = [r[0] for r in confirmed] or [t for a in self.alerts() for t in a.tx_ids]
        return estimate_proceeds(
            self.con,
            flagged_tx=flagged_tx,
            offender_accounts=offender_accounts,
            victim_accounts=victim_accounts,
            reference_monthly_wage=reference_monthly_wage,
            **settings,
        )

    # ------------------------------------------------------------------- exports

    def export_ftm(self, out: IO[str]) -> int:
        """Write the investigation as FtM JSON lines (for Aleph / OpenAleph)."""
        return write_entities(self.con, self.judgements, out)

    def export_parquet(self, folder: Path) -> list[Path]:
        """Write the workspace tables as Parquet, for a distributed engine (docs/investigate.md)."""
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for table in ("source", "account", "tx", "party", "relation", "alert", "alert_decision"):
            target = folder / f"{table}.parquet"
            # the table name is one of the fixed names above; the path is bound
            self.con.execute(f"COPY {table} TO ? (FORMAT PARQUET)", [str(target)])
            out.append(target)
        return out

    def last_skipped(self) -> list[SkippedRule]:
        """Rules the last run skipped, with their missing fields."""
        row = self.con.execute(
            "SELECT report FROM rule_run ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return []
        report = json.loads(row[0])
        return [
            SkippedRule(s["rule_id"], tuple(s["missing_fields"])) for s in report.get("skipped", [])
        ]

    def evidence_pack(
        self,
        *,
        title: str,
        case_ref: str,
        prepared_by: str,
        focus: Sequence[str] | None = None,
        victim_accounts: Sequence[str] = (),
        proceeds: ProceedsEstimate | None = None,
    ) -> EvidencePack:
        """Assemble the evidence pack from the workspace: the open *and the confirmed* alerts.

        A prosecutor needs the confirmed alerts above all; only dismissed ones are left out.
        """
        alerts = self.standing_alerts()
        tx_ids = {t for a in alerts for t in a.tx_ids}
        transactions = {t["tx_id"]: t for t in self.transactions(tx_ids)}
        subjects = list(focus) if focus else self.alert_accounts(alerts)
        net = self.network(focus=subjects or None, victim_accounts=victim_accounts)
        return assemble_pack(
            title=title,
            case_ref=case_ref,
            prepared_by=prepared_by,
            alerts=alerts,
            rules={r.id: r for r in self.rule_pack.rules},
            transactions=transactions,
            skipped=self.last_skipped(),
            network=net,
            proceeds=proceeds,
            sources=self.sources(),
        )

    def evidence_pack_html(self, **kwargs: Any) -> str:
        """The evidence pack as HTML (arguments as for evidence_pack)."""
        return render_html(self.evidence_pack(**kwargs))

    def evidence_pack_pdf(self, path: Path, **kwargs: Any) -> EvidencePack:
        """Write the evidence pack as PDF to ``path``; returns the pack (for its digest)."""
        pack = self.evidence_pack(**kwargs)
        render_pdf(pack, path)
        return pack
