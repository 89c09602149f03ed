package cardreader

import (
	"encoding/asn1"
	"fmt"
)

// EF.CardAccess (FID 011C) announces, before any access control, which
// protocols the chip supports (ICAO 9303-11 §9.2, §3.11 of 9303-10): a DER
// SET OF SecurityInfo, each SEQUENCE { protocol OBJECT IDENTIFIER,
// requiredData ANY, optionalData ANY OPTIONAL }. A PACEInfo has version
// INTEGER as requiredData and parameterId INTEGER as optionalData.

// FIDCardAccess is the file identifier of EF.CardAccess, read in the
// master file without secure messaging.
const FIDCardAccess uint16 = 0x011C

// Standardized PACE domain parameters (ICAO 9303-11 §9.5.1, table 6).
const (
	ParamNISTP256        = 12
	ParamBrainpoolP256r1 = 13
)

// oidPACEPrefix is id-PACE, 0.4.0.127.0.7.2.2.4.
var oidPACEPrefix = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4}

// OIDPACEGMAES128 is id-PACE-ECDH-GM-AES-CBC-CMAC-128,
// 0.4.0.127.0.7.2.2.4.2.2, the only PACE variant this package runs.
var OIDPACEGMAES128 = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4, 2, 2}

// SecurityInfo is one entry of EF.CardAccess.
type SecurityInfo struct {
	Protocol asn1.ObjectIdentifier
	Required []byte // DER of requiredData
	Optional []byte // DER of optionalData; nil when absent
}

// PACEInfo is a SecurityInfo whose protocol is a PACE variant.
type PACEInfo struct {
	Protocol    asn1.ObjectIdentifier
	Version     int
	ParameterID int // -1 when absent (domain parameters given elsewhere)
}

// CardAccess is a decoded EF.CardAccess.
type CardAccess struct {
	Infos []SecurityInfo
}

// ParseCardAccess decodes EF.CardAccess. It accepts protocols it does not
// know (TA, CA, ...) and keeps them as raw SecurityInfos.
func ParseCardAccess(b []byte) (*CardAccess, error) {
	set, rest, err := parseTLV(b)
	if err != nil {
		return nil, fmt.Errorf("EF.CardAccess: %w", err)
	}
	if set.tag != 0x31 || len(rest) != 0 {
		return nil, fmt.Errorf("%w: EF.CardAccess is not one SET OF SecurityInfo", ErrDataGroup)
	}
	items, err := parseTLVs(set.value)
	if err != nil {
		return nil, fmt.Errorf("EF.CardAccess: %w", err)
	}
	ca := &CardAccess{}
	for _, it := range items {
		if it.tag != 0x30 {
			return nil, fmt.Errorf("%w: EF.CardAccess entry is not a SEQUENCE", ErrDataGroup)
		}
		parts, err := parseTLVs(it.value)
		if err != nil {
			return nil, fmt.Errorf("EF.CardAccess: %w", err)
		}
		if len(parts) < 2 || len(parts) > 3 || parts[0].tag != 0x06 {
			return nil, fmt.Errorf("%w: EF.CardAccess entry needs an OID and one or two values", ErrDataGroup)
		}
		var si SecurityInfo
		if rest, err := asn1.Unmarshal(parts[0].raw, &si.Protocol); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: EF.CardAccess protocol identifier", ErrDataGroup)
		}
		si.Required = parts[1].raw
		if len(parts) == 3 {
			si.Optional = parts[2].raw
		}
		ca.Infos = append(ca.Infos, si)
	}
	if len(ca.Infos) == 0 {
		return nil, fmt.Errorf("%w: EF.CardAccess is empty", ErrDataGroup)
	}
	return ca, nil
}

// PACE lists the PACEInfos of c, in file order. An entry under id-PACE
// whose version or parameterId is not an INTEGER is an error.
func (c *CardAccess) PACE() ([]PACEInfo, error) {
	var out []PACEInfo
	for _, si := range c.Infos {
		if len(si.Protocol) != len(oidPACEPrefix)+2 || !si.Protocol[:len(oidPACEPrefix)].Equal(oidPACEPrefix) {
			continue // PACEDomainParameterInfo has one arc fewer; TA/CA are elsewhere
		}
		p := PACEInfo{Protocol: si.Protocol, ParameterID: -1}
		if err := unmarshalInt(si.Required, &p.Version); err != nil {
			return nil, fmt.Errorf("%w: PACEInfo version", ErrDataGroup)
		}
		if si.Optional != nil {
			if err := unmarshalInt(si.Optional, &p.ParameterID); err != nil || p.ParameterID < 0 {
				return nil, fmt.Errorf("%w: PACEInfo parameterId", ErrDataGroup)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func unmarshalInt(der []byte, v *int) error {
	rest, err := asn1.Unmarshal(der, v)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("trailing data")
	}
	return err
}

// SupportedPACE returns the first PACEInfo this package can run: version
// 2, ECDH Generic Mapping with AES-128, on brainpoolP256r1 (13) or NIST
// P-256 (12), with the curve. ok is false when there is none, and the
// reader falls back to BAC.
func (c *CardAccess) SupportedPACE() (info PACEInfo, curve *Curve, ok bool) {
	infos, err := c.PACE()
	if err != nil {
		return PACEInfo{}, nil, false
	}
	for _, p := range infos {
		if !p.Protocol.Equal(OIDPACEGMAES128) || p.Version != 2 {
			continue
		}
		if cv := PACECurve(p.ParameterID); cv != nil {
			return p, cv, true
		}
	}
	return PACEInfo{}, nil, false
}

// PACECurve returns the curve of a standardized domain parameter ID, nil
// for those not supported.
func PACECurve(parameterID int) *Curve {
	switch parameterID {
	case ParamBrainpoolP256r1:
		return BrainpoolP256r1
	case ParamNISTP256:
		return P256
	}
	return nil
}

// EncodeCardAccess builds an EF.CardAccess holding one PACEInfo for
// id-PACE-ECDH-GM-AES-CBC-CMAC-128, version 2, with parameterID; a
// software card serves it.
func EncodeCardAccess(parameterID int) []byte {
	oid, _ := asn1.Marshal(OIDPACEGMAES128)
	v, _ := asn1.Marshal(2)
	p, _ := asn1.Marshal(parameterID)
	seq := TLV(0x30, oid, v, p)
	return TLV(0x31, seq)
}
