module {{name}}

go 1.25

require sluice.dev/sdk v0.0.0

// The SDK is the copy `sluice plugin new` wrote beside this file.
replace sluice.dev/sdk => ./sluice-sdk
