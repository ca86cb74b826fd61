from tests.conftest import login


def test_kari_logs_in_chooses_herself_and_sees_prescriptions(client, people):
    response = login(client, people["kari"].national_id)
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Emma Nordmann" in page and "Jonas Nordmann" not in page
    response = client.post("/choose/switch/", {"person": people["kari"].pk}, follow=True)
    assert "Metformin Sandoz" in response.content.decode()
