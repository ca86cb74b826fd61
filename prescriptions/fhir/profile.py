"""The FHIR profile this service reads and writes: every identifier system, code system and
extension URL in one place. docs/fhir-profile.md describes the same list for third parties; a test
keeps the two in step.

National systems come from the Norwegian OID tree (2.16.578.1.12.4.1.4.*) and WHO; everything the
national profiles do not cover lives under the project's own namespace `NAMESPACE`.
"""

# The project's namespace for its own systems and extensions. `.example` is reserved (RFC 2606), so
# the URLs never collide with somebody else's; they are names, nothing is served there.
NAMESPACE = "https://my-prescriptions.example/fhir"

# --- identifier systems -------------------------------------------------------------------------
NATIONAL_ID = "urn:oid:2.16.578.1.12.4.1.4.1"  # fødselsnummer (national identity number)
D_NUMBER = "urn:oid:2.16.578.1.12.4.1.4.2"  # D-number
HPR = "urn:oid:2.16.578.1.12.4.1.4.4"  # Helsepersonellregisteret (health personnel register)
GLN = "urn:oid:2.51.1.3"  # GS1 Global Location Number: identifies the pharmacy
PRESCRIPTION_ID = f"{NAMESPACE}/sid/prescription"
DISPENSE_ID = f"{NAMESPACE}/sid/dispense"
# A Medication's own code: Medication.identifier, or a coding in a medicationCodeableConcept.
MEDICATION_CODE = f"{NAMESPACE}/sid/medication"

# --- code systems -------------------------------------------------------------------------------
ATC = "http://www.whocc.no/atc"
PACKAGE_NUMBER = f"{NAMESPACE}/sid/package-number"  # varenummer of the package
ADDRESS_PROTECTION = f"{NAMESPACE}/CodeSystem/address-protection"  # meta.security on Patient
ADDRESS_PROTECTION_CODES = ("6", "7")  # strictly confidential, confidential (Folkeregisteret)
PRESCRIPTION_RESTRICTION = f"{NAMESPACE}/CodeSystem/prescription-restriction"  # meta.security on MedicationRequest
LOCKED = "locked"  # låst resept
GUARDIAN_RESERVED = "guardian-reserved"  # vergeinnsynsreservasjon
RELATIONSHIP = f"{NAMESPACE}/CodeSystem/relationship"  # RelatedPerson.relationship
PARENTAL_RESPONSIBILITY = "parental-responsibility"

# --- extensions ---------------------------------------------------------------------------------
EXT_DISPENSING_GROUP = f"{NAMESPACE}/StructureDefinition/dispensing-group"  # valueCode A | B | C
EXT_BLUE_PRESCRIPTION = f"{NAMESPACE}/StructureDefinition/blue-prescription"  # sub-extensions below
EXT_BLUE_BASIS = "basis"  # valueString, e.g. "§ 2"
EXT_BLUE_CODE = "code"  # valueString, e.g. "T90"
EXT_LOCKED_REFERENCE = f"{NAMESPACE}/StructureDefinition/locked-prescription-reference"  # valueString
EXT_STRENGTH = f"{NAMESPACE}/StructureDefinition/medication-strength"  # valueString on Medication

DISPENSING_GROUPS = ("A", "B", "C")

# Every URL above, for the documentation test.
ALL_URLS = (
    NATIONAL_ID, D_NUMBER, HPR, GLN, PRESCRIPTION_ID, DISPENSE_ID, MEDICATION_CODE, ATC, PACKAGE_NUMBER,
    ADDRESS_PROTECTION, PRESCRIPTION_RESTRICTION, RELATIONSHIP, EXT_DISPENSING_GROUP, EXT_BLUE_PRESCRIPTION,
    EXT_LOCKED_REFERENCE, EXT_STRENGTH,
)
