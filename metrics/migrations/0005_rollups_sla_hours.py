"""Rollups for the dashboards: SLA clock outcomes (SlaRollup), tickets per hour
(HourRollup), and created-cohort columns of DailyRollup. Days built before this have no
`FactDay.clocks_until`: they keep serving the summary's figures, and the new figures read
those days from the raw rows until they are rebuilt (`manage.py metrics_rollup_rebuild`).
An index on sla_slaclock.updated_at finds the clocks updated after a day was built."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0004_value_indexes"),
        ("sla", "0004_ticket_sla_due_backfill"),
    ]

    operations = [
        migrations.AddField(
            model_name="dailyrollup",
            name="created_solved",
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dailyrollup",
            name="frt_business_n",
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dailyrollup",
            name="frt_business_sum",
            field=models.FloatField(default=0),
        ),
        migrations.AddField(
            model_name="dailyrollup",
            name="responded",
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name="factday",
            name="clocks_until",
            field=models.DateTimeField(null=True),
        ),
        migrations.CreateModel(
            name="HourRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("hour", models.SmallIntegerField()),
                ("channel_id", models.IntegerField()),
                ("team_id", models.IntegerField(null=True)),
                ("assignee_id", models.IntegerField(null=True)),
                ("priority", models.CharField(max_length=10)),
                ("created", models.IntegerField(default=0)),
            ],
            options={
                "indexes": [models.Index(fields=["day"], name="hour_rollup_day")],
            },
        ),
        migrations.CreateModel(
            name="SlaRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("channel_id", models.IntegerField()),
                ("team_id", models.IntegerField(null=True)),
                ("assignee_id", models.IntegerField(null=True)),
                ("priority", models.CharField(max_length=10)),
                ("metric", models.CharField(max_length=20)),
                ("decided", models.IntegerField(default=0)),
                ("breached", models.IntegerField(default=0)),
            ],
            options={
                "indexes": [models.Index(fields=["day"], name="sla_rollup_day")],
            },
        ),
        migrations.CreateModel(
            name="RollupWatermark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("clocks_until", models.DateTimeField()),
            ],
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS metrics_slaclock_updated ON sla_slaclock (updated_at)",
            "DROP INDEX IF EXISTS metrics_slaclock_updated",
        ),
    ]
