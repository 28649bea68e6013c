package storage

// For the external tests of the epoch reads.
var (
	TimeColumns = timeColumns
	ParseEpoch  = parseEpoch
)
