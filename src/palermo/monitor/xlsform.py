"""The survey as an XLSForm workbook, so the same questionnaire runs on KoboToolbox or ODK.

Export writes the three sheets XLSForm defines (``survey``, ``choices``, ``settings``); each
section becomes a group whose hint carries its guidance, each choice question gets its own
choice list named after it. Import reads such a workbook back into the definition's dict and
checks it whole with :func:`palermo.monitor.survey.parse_definition`; problems name the sheet
and row. :func:`xform` converts a workbook with pyxform, the XLSForm reference implementation
that KoboToolbox and ODK use, so what we export is checked by the same rules they apply.

The caller checks the file's size and zip structure (``core.upload_limits``) before import.
"""

from __future__ import annotations

import io
from typing import Any

from palermo.monitor.survey import (
    SELECT_TYPES,
    Definition,
    Problem,
    SurveyError,
    _,
    parse_definition,
)

SURVEY_COLUMNS = ("type", "name", "label", "hint", "required", "relevant")
CHOICE_COLUMNS = ("list_name", "name", "label")
MAX_ROWS = 5_000


def export(definition: Definition, *, version: str = "1") -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    survey = wb.active
    assert survey is not None
    survey.title = "survey"
    survey.append(list(SURVEY_COLUMNS))
    choices = wb.create_sheet("choices")
    choices.append(list(CHOICE_COLUMNS))
    for section in definition.sections:
        survey.append(["begin_group", section.name, section.label, section.guidance, "", ""])
        for q in section.questions:
            qtype = f"{q.type} {q.name}" if q.type in SELECT_TYPES else q.type
            survey.append([qtype, q.name, q.label, q.hint, "yes" if q.required else "", q.relevant])
            for c in q.choices:
                choices.append([q.name, c.name, c.label])
        survey.append(["end_group", "", "", "", "", ""])
    settings = wb.create_sheet("settings")
    settings.append(["form_title", "form_id", "version"])
    settings.append([definition.title, definition.form_id, version])
    for ws in wb.worksheets:
        _no_formulas(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _no_formulas(ws: Any) -> None:
    """A label typed as "=HYPERLINK(…)" stays text: openpyxl would store it as a formula that a
    spreadsheet program runs when the workbook is opened (formula injection)."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@"):
                cell.data_type = "s"


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _rows(ws: Any) -> list[tuple[int, dict[str, str]]]:
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        return []
    names = [_text(h).lower() for h in header]
    out: list[tuple[int, dict[str, str]]] = []
    for number, row in enumerate(rows, start=2):
        if number > MAX_ROWS:
            raise SurveyError([Problem(ws.title, _("At most %(a0)s rows."), a0=MAX_ROWS)])
        values = {n: _text(v) for n, v in zip(names, row, strict=False) if n}
        if any(values.values()):
            out.append((number, values))
    return out


def _choice_lists(sheets: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    lists: dict[str, list[dict[str, str]]] = {}
    if "choices" in sheets:
        for _number, row in _rows(sheets["choices"]):
            lists.setdefault(row.get("list_name", ""), []).append(
                {"name": row.get("name", ""), "label": row.get("label", "")}
            )
    return lists


def _settings(sheets: dict[str, Any]) -> tuple[str, str]:
    rows = _rows(sheets["settings"]) if "settings" in sheets else []
    if not rows:
        return "", ""
    return rows[0][1].get("form_title", ""), rows[0][1].get("form_id", "")


def _question(
    row: dict[str, str],
    kind: str,
    list_name: str,
    lists: dict[str, list[dict[str, str]]],
    where: str,
    problems: list[Problem],
) -> dict[str, Any]:
    question: dict[str, Any] = {
        "name": row.get("name", ""),
        "type": kind,
        "label": row.get("label", ""),
        "hint": row.get("hint", ""),
        "required": row.get("required", "").lower() in ("yes", "true", "true()", "1"),
        "relevant": row.get("relevant", ""),
    }
    if kind in SELECT_TYPES:
        if list_name not in lists:
            problems.append(
                Problem(
                    where,
                    _("The choice list “%(a0)s” is not on the choices sheet."),
                    a0=list_name,
                )
            )
        question["choices"] = lists.get(list_name, [])
    return question


def read(data: bytes) -> dict[str, Any]:
    """The definition dict of an XLSForm workbook; SurveyError lists every problem."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise SurveyError([Problem("file", _("This is not an XLSForm workbook (.xlsx)."))]) from exc
    sheets = {ws.title.lower(): ws for ws in wb.worksheets}
    if "survey" not in sheets:
        raise SurveyError([Problem("file", _("The workbook has no “survey” sheet."))])
    problems: list[Problem] = []
    lists = _choice_lists(sheets)
    title, form_id = _settings(sheets)
    sections: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    loose: dict[str, Any] = {"name": "general", "label": "General", "guidance": "", "questions": []}
    for number, row in _rows(sheets["survey"]):
        where = f"row {number}"
        kind, _sep, list_name = row.get("type", "").partition(" ")
        if kind == "begin_group":
            if current is not None:
                problems.append(Problem(where, _("Groups inside groups are not supported.")))
                continue
            current = {
                "name": row.get("name", ""),
                "label": row.get("label", ""),
                "guidance": row.get("hint", ""),
                "questions": [],
            }
            continue
        if kind == "end_group":
            if current is None:
                problems.append(Problem(where, _("“end_group” without a “begin_group”.")))
            else:
                sections.append(current)
                current = None
            continue
        question = _question(row, kind, list_name, lists, where, problems)
        (current or loose)["questions"].append(question)
    if current is not None:
        problems.append(
            Problem("file", _("The group “%(a0)s” is never closed."), a0=current["name"])
        )
    if loose["questions"]:
        sections.insert(0, loose)
    if problems:
        raise SurveyError(problems)
    return {"title": title, "form_id": form_id or "palermo_survey", "sections": sections}


def import_definition(data: bytes) -> Definition:
    """Read and check a workbook whole: our rules first, then pyxform's."""
    definition = parse_definition(read(data))
    xform(data)
    return definition


def xform(data: bytes) -> str:
    """The XForm XML pyxform makes of the workbook; SurveyError with pyxform's reason if it
    refuses (this is the check KoboToolbox and ODK apply on upload)."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    try:
        return str(convert(xlsform=io.BytesIO(data), file_type=".xlsx").xform)
    except PyXFormError as exc:
        raise SurveyError(
            [Problem("file", _("KoboToolbox/ODK would refuse this form: %(a0)s"), a0=exc)]
        ) from exc
