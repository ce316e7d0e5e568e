"""Small synthetic files in the real column layouts (nothing here is real risk data)."""

from __future__ import annotations

from palermo.supply import osid

# A synthetic extract in the columns of the US DOL Better Trade Tool core data. The goods and
# countries are fictional pairings for tests only — not statements about any country.
DOL_HEADER = "Country,Country_ISOCode,Region,Sector,Good,All_Exploitations,CL,FL,FCL"
DOL_ROWS = (
    "Testland A,AD,Region 1,Agriculture,Cotton,CL FL,2009,2010,",
    "Testland B,AG,Region 2,Manufacturing,Bricks,CL,2012,,",
    "Testland C,AI,Region 3,Manufacturing,Garments,FL,,2014-2020,",
    "Testland D,AL,Region 1,Agriculture,Cotton,FL,,2016,",
)


def dol_file(*rows: str) -> bytes:
    return ("\n".join((DOL_HEADER, *rows)) + "\n").encode()


SITE_HEADER = "os_id,name,address,country_code,lat,lng,sector,number_of_workers,product_type,supplier_company_id"


def site_id(country: str = "AD", day: int = 100, rnd: str = "AB12C") -> str:
    return osid.make(country, 2024, day, rnd)


def sites_file(*rows: str, header: str = SITE_HEADER) -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


ORDER_HEADER = "order_ref,line,supplier_name,supplier_company_id,origin_country,good,product_code,value,share,characteristics"


def orders_file(*rows: str, header: str = ORDER_HEADER) -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


def national_coordinator():  # type: ignore[no-untyped-def]
    """(the demo's national co-ordinator, their office): only they import the national risk
    lists and exclusion list (``supply.risk_lists``) that every procurement office reads. The
    demo world must be loaded (``demo_world``, which ``new_office`` and ``persona`` load)."""
    from palermo.core.models import User

    user = User.objects.get(username="coordinator")
    return user, user.organisations()[0]
