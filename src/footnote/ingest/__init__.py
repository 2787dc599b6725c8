"""Reading a corpus folder into documents, paragraphs and passages."""
