"""FHIR RelatedPerson ↔ ParentalResponsibility.

Registered with the prescriptions importer from ProxiesConfig.ready(): prescriptions owns the
import engine and knows nothing of proxies (imports only point down), proxies plugs its resource
type in. The parent is identified by their national identity number (RelatedPerson.identifier) and
must be known as a Patient, in the same bundle or from an earlier import: a parent's protected
address or death, which decide whether they may act for the child, come with the Patient.
"""

from prescriptions.fhir import exporter, profile
from prescriptions.fhir.handlers import patient_identity, reference
from prescriptions.fhir.records import Problems, Record, Ref, Skip
from prescriptions.fhir.registry import Counts, Handler
from proxies.models import ParentalResponsibility


class RelatedPersonHandler(Handler):
    resource_type = "RelatedPerson"
    order = 15  # after Patient: both parent and child must exist

    def read(self, related, where):
        codes = [
            coding.code
            for concept in related.relationship or []
            for coding in concept.coding or []
            if coding.system == profile.RELATIONSHIP
        ]
        if profile.PARENTAL_RESPONSIBILITY not in codes:
            raise Skip(
                f"not imported: only a parent with parental responsibility is "
                f"(relationship {profile.RELATIONSHIP}|{profile.PARENTAL_RESPONSIBILITY})"
            )
        problems = Problems()
        parent = patient_identity(related, problems)
        child = problems.attempt(reference, related.patient, "patient", "Patient")
        problems.raise_if_any()
        return [
            Record(
                type="RelatedPerson",
                key=f"{parent}>{child.literal or child.key}",
                id=related.id,
                where=where,
                refs={"parent": Ref(path="identifier", target="Patient", key=parent), "child": child},
                # active=false: the registry says the responsibility has ended.
                action="delete" if related.active is False else "upsert",
                values={},
            )
        ]

    def check(self, records, context):
        return {
            id(r): [("identifier", "is the patient's own number: nobody is their own parent")]
            for r in records
            if r.refs["parent"].resolved == r.refs["child"].resolved
        }

    def write(self, records, context):
        counts = Counts()
        wanted, ended = set(), set()
        for r in records:
            pair = (context.pk("Patient", r.refs["parent"].resolved), context.pk("Patient", r.refs["child"].resolved))
            (ended if r.action == "delete" else wanted).add(pair)
        wanted -= ended
        parents = {p for p, _ in wanted | ended}
        existing = set(
            ParentalResponsibility.objects.filter(parent_id__in=parents).values_list("parent_id", "child_id")
        )
        new = [ParentalResponsibility(parent_id=p, child_id=c) for p, c in sorted(wanted - existing)]
        ParentalResponsibility.objects.bulk_create(new, ignore_conflicts=True)
        counts.created = len(new)
        counts.unchanged = len(wanted & existing) + len(ended - existing)
        for parent_id, child_id in ended & existing:
            ParentalResponsibility.objects.filter(parent_id=parent_id, child_id=child_id).delete()
            counts.deleted += 1
        return {}, counts


def related_person(parent_national_id: str, child_national_id: str, parent_name: tuple[str, str] = ("", "")) -> dict:
    """A RelatedPerson for a parental responsibility, in the shape RelatedPersonHandler reads."""
    resource = {
        "resourceType": "RelatedPerson",
        "id": exporter.resource_id("RelatedPerson", f"{parent_national_id}>{child_national_id}"),
        "identifier": [{"system": exporter.patient_system(parent_national_id), "value": parent_national_id}],
        "active": True,
        "patient": exporter.reference("Patient", child_national_id),
        "relationship": [{"coding": [{"system": profile.RELATIONSHIP, "code": profile.PARENTAL_RESPONSIBILITY}]}],
    }
    given, family = parent_name
    if given or family:
        resource["name"] = [{"given": [given], "family": family}]
    return resource
