-- Superusers get PocketBase's login alert (a sign-in from a new device mails them).
UPDATE _collections
SET options = json_set(options, '$.authAlert', json('{"enabled": true, "emailTemplate": {"subject": "Login from a new location", "body": "<p>Hello,</p>\n<p>We noticed a login to your {APP_NAME} account from a new location:</p>\n<p><em>{ALERT_INFO}</em></p>\n<p><strong>If this wasn''t you, you should immediately change your {APP_NAME} account password to revoke access from all other locations.</strong></p>\n<p>If this was you, you may disregard this email.</p>\n<p>\n  Thanks,<br/>\n  {APP_NAME} team\n</p>"}}'))
WHERE id = 'pbc_3142635823' AND json_extract(options, '$.authAlert') IS NULL;
