"""Palermo's own date formats where Django's defaults do not suit (FORMAT_MODULE_PATH).

Only English is overridden: Django's English short date is the American month/day/year,
ambiguous to most of Palermo's readers. Every other language keeps Django's formats."""
