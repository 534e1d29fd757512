"""Validation as code (issue 17): the URS, the functional specification, and
`qualify validate`, which turns an installation into a signed IQ/OQ/PQ pack."""
