"""From ranked passages to an answer: weighing, deciding, feedback, follow-ups."""
