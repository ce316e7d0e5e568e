"""Advert screening: every rule fires on an example in its language, spans point at the match,
highlighting loses nothing, contact details are extracted, near-duplicates group, and the
importer refuses what it cannot read with a line number."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.prevent import advert_input, adverts, langid

RULES = adverts.load()

# One example per rule, written for this test (not taken from the evaluation set).
EXAMPLES = {
    "A-fee-en": "Registration fee 200 EUR before departure.",
    "A-fee-ru": "Предоплата за оформление 3000 рублей.",
    "A-fee-uk": "Передоплата за оформлення документів.",
    "A-fee-ro": "Taxa de înscriere este 100 de euro.",
    "A-fee-sq": "Kërkohet pagesë paraprake për dokumentet.",
    "A-fee-sr": "Uplata unapred od 200 evra.",
    "A-fee-ar": "يجب دفع رسوم التأشيرة مقدما.",
    "A-debt-en": "Flights are deducted from your first salary.",
    "A-debt-ru": "Билет вычитается из первой зарплаты.",
    "A-debt-uk": "Квиток вираховується з першої зарплати.",
    "A-debt-ro": "Biletul se reține din primul salariu.",
    "A-debt-sq": "Bileta zbritet nga paga.",
    "A-debt-sr": "Karta se odbija od plate.",
    "A-debt-ar": "تذكرة الطيران يخصم من الراتب.",
    "A-noexp-en": "No experience needed.",
    "A-noexp-ru": "Работа без опыта.",
    "A-noexp-uk": "Робота без досвіду.",
    "A-noexp-ro": "Fără experiență.",
    "A-noexp-sq": "Punë pa përvojë.",
    "A-noexp-sr": "Posao bez iskustva.",
    "A-noexp-ar": "عمل بدون خبرة.",
    "A-msg-any": "Write on WhatsApp.",
    "A-urgent-en": "Urgent, start tomorrow.",
    "A-urgent-ru": "Срочно! Выезд завтра.",
    "A-urgent-uk": "Терміново! Виїзд завтра.",
    "A-urgent-ro": "Plecare mâine, locuri limitate.",
    "A-urgent-sq": "Urgjent! Nisja nesër.",
    "A-urgent-sr": "Hitno, polazak sutra.",
    "A-urgent-ar": "عاجل، السفر غدا.",
    "A-visa-en": "A tourist visa is enough.",
    "A-visa-ru": "Туристическая виза подходит.",
    "A-visa-uk": "Туристична віза підходить.",
    "A-visa-ro": "Viză turistică este suficientă.",
    "A-visa-sq": "Mjafton vizë turistike.",
    "A-visa-sr": "Dovoljna je turistička viza.",
    "A-visa-ar": "تأشيرة سياحية تكفي.",
    "A-passport-en": "Hand over your passport on arrival.",
    "A-passport-ru": "Сдать паспорт по приезду.",
    "A-passport-uk": "Здати паспорт по приїзду.",
    "A-passport-ro": "Predați pașaportul la sosire.",
    "A-passport-sq": "Dorëzoni pasaportën në mbërritje.",
    "A-passport-sr": "Predajte pasoš poslodavcu.",
    "A-passport-ar": "تسليم جواز السفر عند الوصول.",
    "A-photos-en": "Send full-body photos for a photo shoot.",
    "A-photos-ru": "Нужна фотосессия.",
    "A-photos-uk": "Потрібна фотосесія.",
    "A-photos-ro": "Ședință foto gratuită.",
    "A-photos-sq": "Dërgoni foto tuaja.",
    "A-photos-sr": "Fotosesija u Beogradu.",
    "A-photos-ar": "جلسة تصوير مجانية.",
    "A-housing-en": "Free accommodation provided.",
    "A-housing-ru": "Бесплатное жильё.",
    "A-housing-uk": "Безкоштовне житло.",
    "A-housing-ro": "Cazare gratuită.",
    "A-housing-sq": "Akomodim falas.",
    "A-housing-sr": "Besplatan smeštaj.",
    "A-housing-ar": "سكن مجاني.",
    "A-young-en": "Girls 18-25 wanted.",
    "A-young-ru": "Девушки 18-25 лет.",
    "A-young-uk": "Дівчата 18-25 років.",
    "A-young-ro": "Angajăm fete tinere.",
    "A-young-sq": "Kërkojmë vajza për punë.",
    "A-young-sr": "Tražimo devojke za rad.",
    "A-young-ar": "مطلوب فتيات للعمل.",
}


def test_every_rule_has_an_example_and_cites_known_sources():
    assert {r.id for r in RULES.rules} == set(EXAMPLES)
    for r in RULES.rules:
        assert r.sources and all(s in RULES.sources for s in r.sources)


@pytest.mark.parametrize("rule_id", sorted(EXAMPLES))
def test_each_rule_fires_on_its_example_with_a_span_into_the_text(rule_id):
    rule = next(r for r in RULES.rules if r.id == rule_id)
    lang = "en" if rule.lang == "*" else rule.lang
    text = adverts.prepare(EXAMPLES[rule_id])
    flags = [f for f in adverts.screen_text(text, lang, RULES) if f.rule_id == rule_id]
    assert flags, rule_id
    for f in flags:
        assert text[f.start : f.end] == f.matched


def test_an_undetermined_language_is_screened_by_every_rule():
    flags = adverts.screen_text("Передоплата. Registration fee.", "und", RULES)
    assert {"A-fee-uk", "A-fee-en"} <= {f.rule_id for f in flags}


def test_ordinary_adverts_raise_no_strong_flag():
    for text in (
        "Warehouse operatives, permanent contract, paid weekly, apply with your CV.",
        "Кухар у ресторан, офіційне працевлаштування, договір до виїзду.",
    ):
        lang, _ = langid.detect(text)
        assert not [f for f in adverts.screen_text(text, lang, RULES) if f.strength == "strong"]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_highlight_loses_and_invents_nothing(text):
    t = adverts.prepare(text)
    flags = adverts.screen_text(t, "und", RULES)
    pieces = adverts.highlight(t, flags)
    assert "".join(p for p, _f in pieces) == t
    for piece, flag in pieces:
        if flag is not None:
            assert piece == t[flag.start : flag.end]


def test_entities_phones_to_e164_emails_links_and_agencies():
    e = adverts.extract_entities(
        "Call +380 67 123 45 67 or jobs@Example.org, see www.example.org/jobs. Agency Golden Star Ltd.",
        "UA",
    )
    assert e.phones == ("+380671234567",)
    assert e.emails == ("jobs@example.org",)
    assert e.urls == ("www.example.org/jobs",)
    assert e.agencies == ("Golden Star Ltd",)


def test_language_detection_uses_the_packaged_model():
    assert langid.detect("Робота у Польщі без досвіду, житло безкоштовно")[0] == "uk"
    assert langid.detect("Работа в Польше без опыта, жильё бесплатно")[0] == "ru"
    assert langid.detect("Loc de muncă în Germania, cazare gratuită")[0] == "ro"
    assert langid.detect("x")[0] == langid.UNDETERMINED


TEMPLATE = (
    "Urgent! Work at a {place} in Poland, no experience needed, salary {pay} EUR. Free housing, "
    "flights deducted from your first salary. Write on Viber +48 600 {num}. Agency Blue Sky."
)


def test_a_hundred_variants_of_one_template_are_one_group_and_others_stay_apart():
    rng = random.Random(7)
    variants = [
        TEMPLATE.format(
            place=rng.choice(["warehouse", "factory", "farm"]),
            pay=rng.randint(1500, 2500),
            num=f"{rng.randint(100, 999)} {rng.randint(100, 999)}",
        )
        for _ in range(100)
    ]
    others = [
        "Kitchen assistant in Lyon, CDI contract, 35 hours, apply through the city job centre.",
        "Ofertă: lucrător în seră, Olanda. Contract în limba română înainte de plecare.",
        "Shërbim klientësh në Tiranë, orar i plotë, kontratë pune.",
    ]
    groups = adverts.group_near_duplicates(variants + others)
    assert groups[0] == list(range(100))
    assert sorted(len(g) for g in groups[1:]) == [1, 1, 1]


@given(st.lists(st.text(max_size=60), max_size=12))
@settings(max_examples=40, deadline=None)
def test_every_advert_is_in_exactly_one_group(texts):
    groups = adverts.group_near_duplicates(texts)
    flat = sorted(i for g in groups for i in g)
    assert flat == list(range(len(texts)))


def test_identical_adverts_always_group():
    groups = adverts.group_near_duplicates(["Same text here."] * 5 + ["Other."])
    assert groups[0] == [0, 1, 2, 3, 4]


# --- reading input -------------------------------------------------------------------------


def test_decode_refuses_binary_non_utf8_and_oversized():
    assert advert_input.decode(b"ab\x00cd")[1].message.startswith("This is a binary file")
    assert "not UTF-8" in advert_input.decode("é".encode("latin-1"))[1].message
    too_big = b"a" * (advert_input.MAX_BYTES + 1)
    assert "larger than" in advert_input.decode(too_big)[1].message
    assert advert_input.decode("\ufeffok".encode())[0] == "ok"


def test_jsonl_errors_carry_their_line():
    items, errors = advert_input.parse(
        '{"text": "one"}\n[1]\nnot json\n{"ref": "x"}\n{"text": ""}', "jsonl"
    )
    assert [i.text for i in items] == ["one"]
    assert [(e.line, e.message) for e in errors] == [
        (2, "Line {line} is not a JSON object."),
        (3, "Line {line} is not JSON."),
        (4, "Line {line}: the advert text is missing."),
        (5, "Line {line}: the advert text is empty."),
    ]


def test_csv_needs_a_text_column_and_text_blocks_split_on_blank_lines():
    assert advert_input.parse("a,b\n1,2\n", "csv")[1][0].line == 0
    items, errors = advert_input.parse("ref,text\nx1,Hello\nx2,World\n", "csv")
    assert [(i.ref, i.text) for i in items] == [("x1", "Hello"), ("x2", "World")]
    items, _ = advert_input.parse("first ad\nline two\n\n\nsecond ad", "text")
    assert [i.text for i in items] == ["first ad\nline two", "second ad"]


def test_an_overlong_advert_is_refused_not_cut():
    _items, errors = advert_input.parse('{"text": "' + "x" * 20_001 + '"}', "jsonl")
    assert "longer than" in errors[0].message
