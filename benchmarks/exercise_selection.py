"""Applicant selection at the scale the OSCE reports cite (670 applications, 60 countries,
192 places), and ten times that: prints the time of the pure selection (not a test)."""

from __future__ import annotations

import random
import time

from palermo.exercise.selection import Applicant, Rules, select
from palermo.exercise.vocabulary import PROFESSIONS


def applications(n: int, countries: int, seed: int = 5) -> list[Applicant]:
    rnd = random.Random(seed)
    profs = sorted(PROFESSIONS)
    return [
        Applicant(
            f"A{i:05d}",
            f"C{rnd.randrange(countries):02d}",
            "Org",
            rnd.choice(profs),
            rnd.choice(["female", "male", "male", "other"]),
        )
        for i in range(n)
    ]


def main() -> None:
    for n, countries, places in ((670, 60, 192), (6700, 99, 1920)):
        apps = applications(n, countries)
        rules = Rules(
            places=places,
            quotas={p: places // 16 for p in PROFESSIONS},
            women_target=0.5,
            country_cap=max(3, places // 40),
        )
        t0 = time.perf_counter()
        res = select(apps, rules, 2027)
        dt = time.perf_counter() - t0
        met = sum(1 for x in res.by_profession if x.met)
        print(
            f"selection: {n} applications, {countries} countries, {places} places: "
            f"{dt * 1000:.0f} ms, {len(res.selected)} selected, quotas met {met}/{len(PROFESSIONS)}"
        )


if __name__ == "__main__":
    main()
