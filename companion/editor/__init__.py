"""What the editor reads: the query log of fans' questions and the report built from it."""
