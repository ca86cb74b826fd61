"""The demo population: synthetic people, relations and prescriptions, with ages and dates
relative to the day it is seeded. `seed()` is idempotent: running it again updates in place.

Everything with a FHIR form goes in through the FHIR importer (`demo_bundle` → Importer), so the
demo exercises the same path as registry files."""

import datetime
import decimal
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from prescriptions.fhir import exporter
from prescriptions.fhir.importer import Importer
from prescriptions.identity import make_synthetic
from prescriptions.models import Dispense, Medication, Person, Pharmacy, Practitioner, Prescription
from proxies.fhir import related_person
from proxies.models import PowerOfAttorney


def years_ago(today: datetime.date, years: int, days_after: int = 0) -> datetime.date:
    """The birth date of someone who turned `years` exactly `days_after` days before today... or
    (with days_after=0) a date well inside that year of age, away from birthday boundaries."""
    anchor = today - datetime.timedelta(days=days_after if days_after else 120)
    try:
        return anchor.replace(year=anchor.year - years)
    except ValueError:  # 29 February
        return anchor.replace(year=anchor.year - years, day=28)


@dataclass
class DemoPerson:
    key: str
    given: str
    family: str
    age: int
    individual: int
    days_after_birthday: int = 0
    protected: str = ""


PEOPLE = [
    DemoPerson("kari", "Kari", "Nordmann", 42, 100),
    DemoPerson("ola", "Ola", "Nordmann", 9, 500),
    DemoPerson("emma", "Emma", "Nordmann", 14, 510),
    DemoPerson("jonas", "Jonas", "Nordmann", 16, 520, days_after_birthday=3),
    DemoPerson("per", "Per", "Hansen", 81, 120),
    DemoPerson("berit", "Berit", "Hansen", 78, 130),
    DemoPerson("astrid", "Astrid", "Berg", 67, 140),
    DemoPerson("lars", "Lars", "Johansen", 55, 150),
    DemoPerson("ingrid", "Ingrid", "Dahl", 45, 160),
    DemoPerson("nils", "Nils", "Olsen", 34, 170),
    DemoPerson("siri", "Siri", "Lunde", 38, 180, protected="7"),
    DemoPerson("mia", "Mia", "Lunde", 6, 530),
]

PHARMACIES = {
    "vitus": ("7080001000011", "Vitusapotek Jernbanetorget"),
    "boots": ("7080001000028", "Boots apotek Majorstuen"),
    "apotek1": ("7080001000035", "Apotek 1 Storo"),
}

PRACTITIONERS = {
    "lege1": ("9144889", "Dr. Anne Lie"),
    "lege2": ("9144890", "Dr. Bjørn Moe"),
    "tannlege": ("9144891", "Tannlege Cecilie Ås"),
}

MEDICATIONS = {
    "metformin": ("Metformin Sandoz", "tablett", "500 mg", "A10BA02", "123456"),
    "atorva": ("Atorvastatin Krka", "tablett", "20 mg", "C10AA05", "234567"),
    "cozaar": ("Cozaar", "tablett", "50 mg", "C09CA01", "345678"),
    "losartan": ("Losartan Krka", "tablett", "50 mg", "C09CA01", "345679"),
    "cetirizin": ("Cetirizin Mylan", "tablett", "10 mg", "R06AE07", "456789"),
    "oxynorm": ("OxyNorm", "kapsel", "5 mg", "N02AA05", "567890"),
    "sertralin": ("Sertralin Hexal", "tablett", "50 mg", "N06AB06", "678901"),
    "amoxicillin": ("Amoxicillin Mylan", "kapsel", "500 mg", "J01CA04", "789012"),
    "ibux": ("Ibux", "tablett", "400 mg", "M01AE01", "890123"),
    "paralgin": ("Paralgin forte", "tablett", "400 mg/30 mg", "N02AJ06", "901234"),
    "zopiklon": ("Zopiklon Mylan", "tablett", "7,5 mg", "N05CF01", "912345"),
    "ventoline": ("Ventoline", "inhalasjonsaerosol", "0,1 mg/dose", "R03AC02", "923456"),
    "loette": ("Loette 28", "tablett", "0,1 mg/0,02 mg", "G03AA07", "934567"),
    "locoid": ("Locoid", "krem", "0,1 %", "D07AB02", "945678"),
    "levaxin": ("Levaxin", "tablett", "100 mikrog", "H03AA01", "956789"),
    "albyl": ("Albyl-E", "tablett", "75 mg", "B01AC06", "967890"),
    "paracet": ("Paracet", "mikstur", "24 mg/ml", "N02BE01", "978901"),
}


@dataclass
class DemoDispense:
    days_ago: int
    pharmacy: str
    medication: str | None = None  # None: the prescribed item
    cancelled: bool = False


@dataclass
class DemoPrescription:
    key: str
    patient: str
    medication: str
    issued_days_ago: int
    valid_days: int = 365
    reit: int = 0
    group: str = "C"
    dosage: str = "1 tablett daglig"
    indication: str = ""
    prescriber: str = "lege1"
    quantity: str = "100"
    unit: str = "stk"
    substitution_reserved: bool = False
    blue: tuple[str, str] = ("", "")
    status: str = "active"
    locked_ref: str = ""
    guardian_reserved: bool = False
    earliest_in_days: int | None = None
    dispenses: list[DemoDispense] = field(default_factory=list)


PRESCRIPTIONS = [
    # Kari: six valid ones covering the markers, then her history.
    DemoPrescription("kari-1", "kari", "metformin", 40, reit=11, dosage="1 tablett 2 ganger daglig",
                     indication="Diabetes type 2", blue=("§ 2", "T90"), quantity="200",
                     dispenses=[DemoDispense(38, "vitus")]),
    DemoPrescription("kari-2", "kari", "atorva", 60, reit=3, dosage="1 tablett om kvelden",
                     indication="Forhøyet kolesterol", dispenses=[DemoDispense(55, "boots")]),
    DemoPrescription("kari-3", "kari", "cozaar", 90, reit=5, indication="Høyt blodtrykk", quantity="98",
                     dispenses=[DemoDispense(85, "apotek1", "losartan"), DemoDispense(20, "vitus", cancelled=True)]),
    DemoPrescription("kari-4", "kari", "cetirizin", 355, dosage="1 tablett ved behov", indication="Allergi",
                     reit=2, quantity="30", prescriber="lege2"),
    DemoPrescription("kari-5", "kari", "oxynorm", 5, valid_days=30, group="A", dosage="1 kapsel ved sterke smerter, maks 4 daglig",
                     indication="Akutte smerter etter operasjon", quantity="20", substitution_reserved=True),
    DemoPrescription("kari-6", "kari", "sertralin", 30, reit=5, indication="Depresjon", quantity="30",
                     locked_ref="LR-2026-004217"),
    # One reiteration left unused, so it ended by expiring, not by being used up.
    DemoPrescription("kari-7", "kari", "amoxicillin", 400, valid_days=10, reit=1, dosage="1 kapsel 3 ganger daglig i 7 dager",
                     indication="Bihulebetennelse", quantity="21", dispenses=[DemoDispense(398, "vitus")]),
    DemoPrescription("kari-8", "kari", "ibux", 500, reit=1, dosage="1 tablett ved behov", indication="Smerter",
                     quantity="30", prescriber="tannlege"),
    DemoPrescription("kari-9", "kari", "paralgin", 70, group="B", dosage="1–2 tabletter ved behov",
                     indication="Smerter", quantity="20", dispenses=[DemoDispense(65, "boots")]),
    DemoPrescription("kari-10", "kari", "zopiklon", 50, group="B", dosage="1 tablett ved søvnvansker",
                     indication="Søvnvansker", quantity="10", status="cancelled"),
    # The children.
    DemoPrescription("ola-1", "ola", "ventoline", 100, reit=3, dosage="1–2 drag ved behov", indication="Astma",
                     quantity="1", unit="inhalator", dispenses=[DemoDispense(95, "vitus")]),
    DemoPrescription("ola-2", "ola", "paracet", 20, dosage="10 ml ved feber", indication="Feber", quantity="1",
                     unit="flaske"),
    DemoPrescription("emma-1", "emma", "locoid", 45, reit=1, dosage="Smøres tynt 1 gang daglig",
                     indication="Eksem", quantity="1", unit="tube", dispenses=[DemoDispense(40, "apotek1")]),
    DemoPrescription("emma-2", "emma", "loette", 60, valid_days=3 * 365, reit=3, dosage="1 tablett daglig",
                     indication="Prevensjon", quantity="84", guardian_reserved=True,
                     dispenses=[DemoDispense(58, "boots")]),
    DemoPrescription("emma-3", "emma", "ventoline", 200, reit=2, dosage="1–2 drag ved behov", indication="Astma",
                     quantity="1", unit="inhalator"),
    DemoPrescription("jonas-1", "jonas", "ibux", 30, dosage="1 tablett ved behov", quantity="20"),
    DemoPrescription("jonas-2", "jonas", "locoid", 90, dosage="Smøres tynt ved behov", quantity="1", unit="tube"),
    # The others.
    DemoPrescription("per-1", "per", "albyl", 120, reit=5, indication="Forebygging av blodpropp", blue=("§ 2", "K90"),
                     dispenses=[DemoDispense(110, "vitus"), DemoDispense(20, "vitus")]),
    DemoPrescription("per-2", "per", "levaxin", 200, reit=3, indication="Lavt stoffskifte",
                     dispenses=[DemoDispense(190, "apotek1")]),
    DemoPrescription("per-3", "per", "zopiklon", 20, group="B", dosage="1 tablett ved søvnvansker", quantity="10"),
    DemoPrescription("berit-1", "berit", "levaxin", 100, reit=3, indication="Lavt stoffskifte"),
    DemoPrescription("berit-2", "berit", "atorva", 50, reit=3),
    DemoPrescription("astrid-1", "astrid", "metformin", 80, reit=5, blue=("§ 2", "T90")),
    DemoPrescription("astrid-2", "astrid", "cetirizin", 20),
    DemoPrescription("lars-1", "lars", "atorva", 100, reit=3),
    DemoPrescription("lars-2", "lars", "ibux", 10),
    DemoPrescription("ingrid-1", "ingrid", "levaxin", 60, reit=3),
    DemoPrescription("ingrid-2", "ingrid", "cetirizin", 30),
    DemoPrescription("nils-1", "nils", "ventoline", 50, reit=2, quantity="1", unit="inhalator"),
    DemoPrescription("nils-2", "nils", "amoxicillin", 3, valid_days=10, dosage="1 kapsel 3 ganger daglig", quantity="21"),
    DemoPrescription("siri-1", "siri", "sertralin", 60, reit=5),
    DemoPrescription("siri-2", "siri", "ibux", 15),
    DemoPrescription("mia-1", "mia", "paracet", 10, quantity="1", unit="flaske"),
    DemoPrescription("mia-2", "mia", "locoid", 40, quantity="1", unit="tube"),
]

# (grantor, holder, started days ago, ends in days (None: open), ended days ago, ended by)
POWERS = [
    ("per", "kari", 400, None, None, None),
    ("astrid", "kari", 300, -10, None, None),
    ("lars", "kari", 200, None, 5, "lars"),
    ("kari", "ingrid", 100, 365, None, None),
    ("berit", "per", 150, None, None, None),
]
PARENTS = [("kari", "ola"), ("kari", "emma"), ("kari", "jonas"), ("siri", "mia")]


def national_id_for(person: DemoPerson, today: datetime.date) -> str:
    return make_synthetic(years_ago(today, person.age, person.days_after_birthday), person.individual)


def demo_bundle(today: datetime.date) -> dict:
    """The demo population as a FHIR Bundle, built from unsaved model instances with the export's
    own builders, so the demo goes in through the importer like any registry file."""
    people = {}
    for spec in PEOPLE:
        birth = years_ago(today, spec.age, spec.days_after_birthday)
        people[spec.key] = Person(
            national_id=make_synthetic(birth, spec.individual), given_name=spec.given, family_name=spec.family,
            birth_date=birth, protected_address=spec.protected,
        )
    pharmacies = {key: Pharmacy(identifier=gln, name=name) for key, (gln, name) in PHARMACIES.items()}
    prescribers = {key: Practitioner(hpr_number=hpr, name=name) for key, (hpr, name) in PRACTITIONERS.items()}
    medications = {
        key: Medication(code=f"demo-{key}", name=n, form=f, strength=s, atc_code=atc, package_number=pkg)
        for key, (n, f, s, atc, pkg) in MEDICATIONS.items()
    }
    prescriptions, dispenses = [], []
    for spec in PRESCRIPTIONS:
        issued = today - datetime.timedelta(days=spec.issued_days_ago)
        earliest = issued if spec.earliest_in_days is None else today + datetime.timedelta(days=spec.earliest_in_days)
        prescription = Prescription(
            identifier=f"DEMO-{spec.key}",
            patient=people[spec.patient], medication=medications[spec.medication],
            prescriber=prescribers[spec.prescriber], dispensing_group=spec.group, dosage_text=spec.dosage,
            indication=spec.indication, issued_on=issued, earliest_dispense_on=earliest,
            expires_on=issued + datetime.timedelta(days=spec.valid_days), reiterations=spec.reit,
            quantity_per_dispense=decimal.Decimal(spec.quantity), quantity_unit=spec.unit,
            substitution_reserved=spec.substitution_reserved, blue_basis=spec.blue[0], blue_code=spec.blue[1],
            status=spec.status, locked=bool(spec.locked_ref), locked_reference=spec.locked_ref,
            guardian_reserved=spec.guardian_reserved,
        )
        prescriptions.append(prescription)
        for index, d in enumerate(spec.dispenses):
            dispenses.append(Dispense(
                identifier=f"DEMO-{spec.key}-d{index}",
                prescription=prescription, patient=prescription.patient,
                handed_over_at=timezone.make_aware(
                    datetime.datetime.combine(today - datetime.timedelta(days=d.days_ago), datetime.time(12))
                ),
                pharmacy=pharmacies[d.pharmacy], medication=medications[d.medication or spec.medication],
                quantity=prescription.quantity_per_dispense,
                substituted=(d.medication or spec.medication) != spec.medication,
                status=Dispense.Status.CANCELLED if d.cancelled else Dispense.Status.COMPLETED,
            ))
    resources = [
        *(exporter.patient(person) for person in people.values()),
        *(related_person(people[parent].national_id, people[child].national_id) for parent, child in PARENTS),
        *(exporter.practitioner(item) for item in prescribers.values()),
        *(exporter.pharmacy(item) for item in pharmacies.values()),
        *(exporter.medication(item) for item in medications.values()),
        *(exporter.medication_request(item) for item in prescriptions),
        *(exporter.medication_dispense(item) for item in dispenses),
    ]
    return exporter.bundle(resources)


@transaction.atomic
def seed(today: datetime.date | None = None) -> dict[str, Person]:
    """People, prescriptions, dispenses and parental responsibilities through the FHIR importer;
    powers of attorney (no FHIR source) directly."""
    today = today or timezone.localdate()
    problems = []
    with Importer(report=problems.append) as importer:
        importer.import_data(demo_bundle(today), "demo bundle")
    errors = [str(issue) for issue in problems if issue.level == "error"]
    if errors:
        raise RuntimeError("The demo bundle did not import: " + "; ".join(errors))
    numbers = {spec.key: national_id_for(spec, today) for spec in PEOPLE}
    by_number = Person.objects.in_bulk(numbers.values(), field_name="national_id")
    people = {key: by_number[number] for key, number in numbers.items()}
    for grantor, holder, started, ends_in, ended_ago, ended_by in POWERS:
        PowerOfAttorney.objects.filter(grantor=people[grantor], holder=people[holder]).delete()
        PowerOfAttorney.objects.create(
            grantor=people[grantor], holder=people[holder],
            starts_on=today - datetime.timedelta(days=started),
            ends_on=None if ends_in is None else today + datetime.timedelta(days=ends_in),
            ended_at=None if ended_ago is None else timezone.now() - datetime.timedelta(days=ended_ago),
            ended_by=people[ended_by] if ended_by else None,
        )
    return people
