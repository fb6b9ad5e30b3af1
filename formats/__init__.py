"""Format identification (PRONOM), validation and characterisation, normalisation converters."""
