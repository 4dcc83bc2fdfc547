"""The half-day's signing pages, one module per way of signing (tablet, QR code, remote
link) beside the trainer's page of the half-day; `common` holds what they share."""
