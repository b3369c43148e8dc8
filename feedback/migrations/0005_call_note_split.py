"""Split the call's "What was said" into an internal note and a summary for the candidate.

Existing text becomes the internal note: it was written without the form saying it would be
emailed, so the safe reading is that it was meant for colleagues. The candidate-facing summary
starts empty; old calls simply add nothing to a re-sent email or a PDF."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("feedback", "0004_rejection_stage_set_null")]

    operations = [
        migrations.RenameField(
            model_name="feedbackcall", old_name="summary", new_name="internal_note"
        ),
        migrations.AddField(
            model_name="feedbackcall",
            name="candidate_summary",
            field=models.TextField(blank=True),
        ),
    ]
