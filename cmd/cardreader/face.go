package main

import "github.com/dinhdanh/dinhdanh/cardreader"

// errPortrait: DG2 does not hold a face image this command understands.
var errPortrait = cardreader.ErrPortrait

// portraitImage digs the face image out of DG2 (cardreader.PortraitImage):
// the image and its format, "jpeg" or "jpeg2000".
func portraitImage(dg2 []byte) ([]byte, string, error) { return cardreader.PortraitImage(dg2) }
