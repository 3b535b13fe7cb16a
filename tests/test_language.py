import pytest

from pipeline.normalize.language import detect


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The International Electrotechnical Commission publishes standards for all electrical "
            "and electronic technologies.",
            "en",
        ),
        (
            "Le Bureau international des poids et mesures a publié un nouveau rapport sur le "
            "kilogramme et les unités du SI.",
            "fr",
        ),
        (
            "La Organización Internacional de Normalización publicó hoy una nueva norma sobre la "
            "gestión de la calidad.",
            "es",
        ),
        (
            "Международная организация по стандартизации опубликовала новый стандарт в области "
            "менеджмента качества.",
            "ru",
        ),
    ],
)
def test_language_of_the_text(text, expected):
    assert detect(text) == expected


def test_too_short_text_gives_the_fallback():
    assert detect("ISO news", fallback="en") == "en"
