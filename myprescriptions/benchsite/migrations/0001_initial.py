from django.db import migrations, models

# TechEmpower's fortunes, the classic twelve; each topic gets the same set so the query reads 12 rows by index.
MESSAGES = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "フレームワークのベンチマーク",
]
TOPICS = 50


def seed(apps, schema_editor):
    Fortune = apps.get_model("benchsite", "Fortune")
    Fortune.objects.bulk_create(
        Fortune(topic=topic, message=message) for topic in range(1, TOPICS + 1) for message in MESSAGES
    )


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Fortune",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("topic", models.PositiveSmallIntegerField(db_index=True)),
                ("message", models.CharField(max_length=2048)),
            ],
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
