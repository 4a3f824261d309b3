package codestore

// AWS Lambda's deployment package quotas, in bytes.
const (
	MaxZippedSize   = 52428800  // 50 MiB, a zip uploaded directly
	MaxUnzippedSize = 262144000 // 250 MiB, code and layers unzipped
)

// Limits are the size quotas that inspection and extraction enforce. A zero
// field means the AWS default; tests shrink them to exercise the checks
// without writing hundreds of megabytes.
type Limits struct {
	Zipped   int64 // largest zip accepted; default MaxZippedSize
	Unzipped int64 // largest uncompressed total; default MaxUnzippedSize
}

func (l Limits) zipped() int64 {
	if l.Zipped > 0 {
		return l.Zipped
	}
	return MaxZippedSize
}

func (l Limits) unzipped() int64 {
	if l.Unzipped > 0 {
		return l.Unzipped
	}
	return MaxUnzippedSize
}

// CheckCombinedSize reports a [*TooLargeError] of kind SizeCombined when
// function code and its layers together unzip to more than the AWS quota.
func CheckCombinedSize(code Info, layers []Info) error {
	return Limits{}.CheckCombinedSize(code, layers)
}

// CheckCombinedSize is [CheckCombinedSize] with l's unzipped limit.
func (l Limits) CheckCombinedSize(code Info, layers []Info) error {
	total := code.UnzippedSize
	for _, li := range layers {
		total = addSat(total, li.UnzippedSize)
	}
	if limit := l.unzipped(); total > limit {
		return &TooLargeError{Kind: SizeCombined, Limit: limit, Actual: total}
	}
	return nil
}

// addSat adds two non-negative sizes, saturating instead of overflowing so
// that lying headers cannot wrap a total back under a limit.
func addSat(a, b int64) int64 {
	if b > 0 && a > maxInt64-b {
		return maxInt64
	}
	return a + b
}

const maxInt64 = 1<<63 - 1
