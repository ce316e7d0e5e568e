"""Every download from an exercise instance says TRAINING: in its file name, a response header,
and, for CSV, a first line. Outside an exercise instance this does nothing."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from palermo.exercise.isolation import exercise_name

CSV_MARK = "# TRAINING EXERCISE - fictional data, not for operational use\r\n"


class TrainingExportMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not exercise_name():
            return response
        response["X-Palermo-Training"] = "exercise"
        disposition = response.get("Content-Disposition", "")
        if "filename" in disposition and "TRAINING-" not in disposition:
            response["Content-Disposition"] = re.sub(
                r'filename(\*?)=("?)(UTF-8\'\')?', r"filename\1=\2\3TRAINING-", disposition, count=1
            )
        ctype = response.get("Content-Type", "")
        if ctype.startswith("text/csv") and not response.streaming:
            body = response.content
            if not body.startswith(CSV_MARK.encode()):
                bom = b"\xef\xbb\xbf" if body.startswith(b"\xef\xbb\xbf") else b""
                response.content = bom + CSV_MARK.encode() + body[len(bom) :]
        return response
