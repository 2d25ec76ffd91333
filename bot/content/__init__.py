"""Content that officials edit (guides, question banks, contests): loading and checking."""
