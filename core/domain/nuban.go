package domain

// nubanWeights are the CBN's weights over the 3-digit bank code and the
// 9-digit serial number of a NUBAN.
var nubanWeights = [12]int{3, 7, 3, 3, 7, 3, 3, 7, 3, 3, 7, 3}

// ValidBankCode reports whether code is a 3-digit CBN bank code.
func ValidBankCode(code string) bool {
	if len(code) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// ValidNUBAN reports whether nuban is 10 digits whose last is the CBN check
// digit of the first nine at the bank of the 3-digit bankCode.
func ValidNUBAN(bankCode, nuban string) bool {
	if !ValidBankCode(bankCode) || len(nuban) != 10 {
		return false
	}
	sum := 0
	for i, c := range bankCode + nuban[:9] {
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * nubanWeights[i]
	}
	return int(nuban[9]-'0') == (10-sum%10)%10
}
