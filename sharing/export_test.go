package sharing

// Base45Encode and Base45Decode expose the codec to the fuzz tests.
var (
	Base45Encode = base45Encode
	Base45Decode = base45Decode
)
