module mask-fields

go 1.25

require sluice.dev/sdk v0.0.0

replace sluice.dev/sdk => ../../../../sdk/go
