"""The written profile (docs/fhir-profile.md) names everything the importer reads."""

from pathlib import Path

from prescriptions.fhir import profile

DOC = Path(__file__).resolve().parent.parent / "docs" / "fhir-profile.md"


def test_every_identifier_system_code_system_and_extension_is_documented():
    text = DOC.read_text()
    missing = [url for url in profile.ALL_URLS if f"`{url}`" not in text]
    assert missing == []
    for code in (profile.LOCKED, profile.GUARDIAN_RESERVED, profile.PARENTAL_RESPONSIBILITY,
                 *profile.ADDRESS_PROTECTION_CODES, profile.EXT_BLUE_BASIS, profile.EXT_BLUE_CODE):
        assert f"`{code}`" in text, code


def test_the_readme_points_to_the_profile():
    readme = (DOC.parent.parent / "README.md").read_text()
    assert "docs/fhir-profile.md" in readme
