//go:build !linux

package pcscdtest

import "os/exec"

func setPdeathsig(*exec.Cmd) {}
