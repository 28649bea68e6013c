package sdk

// nubanWeights are the CBN's weights over the 3-digit bank code and the
// 9-digit serial number of a NUBAN.
var nubanWeights = [12]int{3, 7, 3, 3, 7, 3, 3, 7, 3, 3, 7, 3}

// NUBANCheckDigit is the CBN check digit of a 9-digit serial number at the
// bank of a 3-digit code; ok is false when either is not all digits of that
// length.
func NUBANCheckDigit(bankCode, serial string) (digit byte, ok bool) {
	if len(bankCode) != 3 || len(serial) != 9 {
		return 0, false
	}
	sum := 0
	for i, c := range bankCode + serial {
		if c < '0' || c > '9' {
			return 0, false
		}
		sum += int(c-'0') * nubanWeights[i]
	}
	return byte('0' + (10-sum%10)%10), true
}

// ValidNUBAN reports whether nuban is 10 digits whose last is the check
// digit of the first nine at the bank of bankCode.
func ValidNUBAN(bankCode, nuban string) bool {
	if len(nuban) != 10 {
		return false
	}
	d, ok := NUBANCheckDigit(bankCode, nuban[:9])
	return ok && nuban[9] == d
}
