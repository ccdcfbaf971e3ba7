"""HTML pages of the email channel: mailboxes and the refused-mail log (admins; managers
read), and the original of a message filed on a ticket (agents who may see the ticket)."""
