from django.db import migrations


class Migration(migrations.Migration):
    """An expression index Django cannot declare (an operator class on a JSON key): the
    message a reply answers is found by its Message-ID, exactly or by prefix."""

    dependencies = [
        ("mailing", "0004_message_last_sent_index"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS mailing_msg_message_id ON mailing_message "
            "(((headers ->> 'Message-ID')) text_pattern_ops)",
            "DROP INDEX IF EXISTS mailing_msg_message_id",
        ),
    ]
