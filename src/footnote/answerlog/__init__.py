"""What the bot answered and how its members rated it: the answer store and its reports."""
