// Package config loads the gateway's configuration: one YAML file, decoded
// strictly (unknown keys are errors), plus environment variables for secrets
// (NAME or NAME_FILE). Validate reports every problem at once, naming the key.
// Domain packages never import it: cmd turns it into constructor arguments.
package config
