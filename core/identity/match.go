package identity

import (
	"strings"
	"time"
	"unicode"

	"github.com/bankauth/bankauth/core/domain"
)

// Fields a match compares.
const (
	FieldName    = "name"
	FieldPhone   = "phone"
	FieldEmail   = "email"
	FieldDOB     = "dob"
	FieldBVN     = "bvn"
	FieldNIN     = "nin"
	FieldAddress = "address"
)

// Claim is what someone says about a person; empty fields are not
// compared.
type Claim struct {
	Name    string `json:"name,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Email   string `json:"email,omitempty"`
	DOB     string `json:"dob,omitempty"`
	BVN     string `json:"bvn,omitempty"`
	NIN     string `json:"nin,omitempty"`
	Address string `json:"address,omitempty"`
}

// Result is one field's comparison: a score from 0 to 100 and whether a
// careful person would call it the same.
type Result struct {
	Score int  `json:"score"`
	Match bool `json:"match"`
}

// Match compares each field of c with what the bank reports of p. It is a
// pure function: no I/O, no clock.
func Match(c Claim, p domain.Person) map[string]Result {
	out := map[string]Result{}
	if strings.TrimSpace(c.Name) != "" {
		out[FieldName] = MatchName(c.Name, p)
	}
	if strings.TrimSpace(c.Phone) != "" {
		out[FieldPhone] = matchAny(c.Phone, p.Phones, matchPhone)
	}
	if strings.TrimSpace(c.Email) != "" {
		out[FieldEmail] = matchAny(c.Email, p.Emails, matchEmail)
	}
	if strings.TrimSpace(c.DOB) != "" {
		out[FieldDOB] = matchDOB(c.DOB, p.DOB)
	}
	if strings.TrimSpace(c.BVN) != "" {
		out[FieldBVN] = exact(c.BVN, p.BVN)
	}
	if strings.TrimSpace(c.NIN) != "" {
		out[FieldNIN] = exact(c.NIN, p.NIN)
	}
	if strings.TrimSpace(c.Address) != "" {
		out[FieldAddress] = matchAny(c.Address, p.Addresses, matchAddress)
	}
	return out
}

// Overall sums up a match: the mean score, and whether every field matched.
func Overall(rs map[string]Result) (score int, verified bool) {
	if len(rs) == 0 {
		return 0, false
	}
	sum, verified := 0, true
	for _, r := range rs {
		sum += r.Score
		verified = verified && r.Match
	}
	return (sum + len(rs)/2) / len(rs), verified
}

func matchAny(claim string, reported []string, cmp func(a, b string) Result) Result {
	best := Result{}
	for _, r := range reported {
		if got := cmp(claim, r); got.Score > best.Score {
			best = got
		}
	}
	return best
}

func exact(a, b string) Result {
	if b != "" && strings.TrimSpace(a) == strings.TrimSpace(b) {
		return Result{Score: 100, Match: true}
	}
	return Result{}
}

// matchPhone compares in E.164: a Nigerian 0-prefixed number is +234….
func matchPhone(a, b string) Result {
	na, errA := domain.NormalizeIdentifier(domain.IdentPhone, a, "phone")
	nb, errB := domain.NormalizeIdentifier(domain.IdentPhone, b, "phone")
	if errA != nil || errB != nil {
		if digits(a) != "" && digits(a) == digits(b) {
			return Result{Score: 100, Match: true}
		}
		return Result{}
	}
	if na == nb {
		return Result{Score: 100, Match: true}
	}
	return Result{}
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// matchEmail ignores case; at Gmail, dots and +tags in the local part
// are the same mailbox too, so they match with a lower score.
func matchEmail(a, b string) Result {
	a, b = strings.ToLower(strings.TrimSpace(a)), strings.ToLower(strings.TrimSpace(b))
	if a == "" || b == "" {
		return Result{}
	}
	if a == b {
		return Result{Score: 100, Match: true}
	}
	la, da, okA := strings.Cut(a, "@")
	lb, db, okB := strings.Cut(b, "@")
	if !okA || !okB {
		return Result{}
	}
	if gmail(da) && gmail(db) && gmailLocal(la) == gmailLocal(lb) {
		return Result{Score: 95, Match: true}
	}
	if la == lb {
		return Result{Score: 30} // the same name at another provider
	}
	return Result{}
}

func gmail(domain string) bool { return domain == "gmail.com" || domain == "googlemail.com" }

func gmailLocal(l string) string {
	l, _, _ = strings.Cut(l, "+")
	return strings.ReplaceAll(l, ".", "")
}

// matchDOB compares dates exactly, however each was written.
func matchDOB(a, b string) Result {
	da, okA := parseDate(a)
	db, okB := parseDate(b)
	if okA && okB && da.Equal(db) {
		return Result{Score: 100, Match: true}
	}
	return Result{}
}

func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.DateOnly, "2006-1-2", time.RFC3339, "2006-01-02T15:04:05.000Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
		}
	}
	return time.Time{}, false
}

// --- names

// honorifics are titles people put before or after a name; they say
// nothing about who the person is.
var honorifics = setOf("mr", "mrs", "ms", "miss", "mister", "master", "madam", "madame", "dr", "doctor", "prof", "professor",
	"chief", "alhaji", "alhaja", "alh", "hajia", "hajiya", "haji", "mallam", "malam", "engr", "engineer", "barr", "barrister",
	"arc", "architect", "pharm", "pastor", "rev", "revd", "reverend", "fr", "father", "sister", "bro", "brother", "sir", "lady",
	"dame", "hon", "honourable", "honorable", "sen", "senator", "prince", "princess", "otunba",
	"col", "gen", "capt", "lt", "maj", "sgt", "cpl", "elder", "deacon", "deaconess", "evang", "evangelist", "apostle", "bishop",
	"imam", "ustaz", "sheikh", "jr", "jnr", "sr", "snr", "ii", "iii", "phd", "esq", "mni", "oon", "ofr", "gcon")

// variants are spellings of one name.
var variants = func() map[string]string {
	groups := [][]string{
		{"muhammad", "mohammed", "mohammad", "muhammed", "mohamed", "muhammadu", "mohd"},
		{"ibrahim", "ibraheem", "ibrahima"},
		{"yusuf", "yusuff", "yussuf", "yousef", "yusufu"},
		{"abdulrahman", "abdulrahaman", "abdurrahman", "abdurahman"},
		{"aisha", "aishat", "aishah", "ayesha"},
		{"fatima", "fatimah", "fatimat"},
		{"olawale", "wale"},
		{"oluwaseun", "seun"},
		{"oluwatobi", "tobi"},
		{"babatunde", "tunde"},
		{"adebayo", "bayo"},
		{"chukwuemeka", "emeka"},
		{"ngozi", "ngozika"},
	}
	out := map[string]string{}
	for _, g := range groups {
		for _, n := range g {
			out[n] = g[0]
		}
	}
	return out
}()

func setOf(words ...string) map[string]bool {
	out := make(map[string]bool, len(words))
	for _, w := range words {
		out[w] = true
	}
	return out
}

// fold lowercases and removes diacritics: "Adá Ọbí" is "ada obi".
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.Is(unicode.Mn, r) {
			continue // combining marks: tones, dots below
		}
		if f, ok := latin[r]; ok {
			b.WriteString(f)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

var latin = func() map[rune]string {
	out := map[rune]string{}
	for base, letters := range map[string]string{
		"a": "áàâäãåāăąạảấầẫậắằẵặ", "c": "çćčĉċ", "d": "ďđ", "e": "éèêëēĕėęěẹẻẽếềễệ", "g": "ğĝġģ",
		"h": "ĥħ", "i": "íìîïĩīĭįıịỉ", "j": "ĵ", "k": "ķ", "l": "ĺļľŀł", "n": "ñńņňŉǹ",
		"o": "óòôöõøōŏőơọỏốồỗộớờỡợ", "r": "ŕŗř", "s": "śŝşšșṣ", "t": "ţťŧț", "u": "úùûüũūŭůűųưụủứừữự",
		"w": "ŵẁẃẅ", "y": "ýÿŷỳỵỹ", "z": "źżž",
	} {
		for _, r := range letters {
			out[r] = base
		}
	}
	out['ß'], out['æ'], out['œ'] = "ss", "ae", "oe"
	return out
}()

// words splits a name into folded words; apostrophes join ("O'Neil" is
// "oneil"), every other non-letter separates.
func words(s string) []string {
	s = strings.NewReplacer("'", "", "’", "", "`", "").Replace(fold(s))
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
}

// withoutTitles drops honorifics, unless nothing else is left.
func withoutTitles(ws []string) []string {
	var out []string
	for _, w := range ws {
		if !honorifics[w] {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return ws
	}
	return out
}

// role of a reported name part.
type role int

const (
	roleFirst role = iota
	roleMiddle
	roleLast
)

type part struct {
	word string
	role role
}

// reportedParts are the bank's name parts with their roles: from the
// first, middle and last names when the bank gave them, else from the
// full name (first word, last word, the rest middle).
func reportedParts(p domain.Person) []part {
	var out []part
	add := func(s string, r role) {
		for _, w := range withoutTitles(words(s)) {
			out = append(out, part{w, r})
		}
	}
	if strings.TrimSpace(p.FirstName) != "" && strings.TrimSpace(p.LastName) != "" {
		add(p.FirstName, roleFirst)
		add(p.MiddleName, roleMiddle)
		add(p.LastName, roleLast)
		return out
	}
	ws := withoutTitles(words(p.Name()))
	for i, w := range ws {
		r := roleMiddle
		switch {
		case i == 0:
			r = roleFirst
		case i == len(ws)-1:
			r = roleLast
		}
		out = append(out, part{w, r})
	}
	return out
}

// Weights of the name parts in a name's score. A middle name counts for
// less, and its absence from the claim costs little: many people leave it
// out.
const (
	weightFirst         = 40
	weightLast          = 40
	weightMiddle        = 20
	creditMissingMiddle = 0.6  // a middle name the claim leaves out
	creditInitial       = 0.85 // a middle name given as its initial
	creditFirstInitial  = 0.4  // a first name given as its initial proves little
	penaltyExtra        = 8    // each word of the claim the bank does not know
)

// MatchName compares a claimed name with the bank's, the way a careful
// person does: case, order ("OBI, Ada"), punctuation, diacritics and
// honorifics do not matter; a middle name may be an initial or missing;
// known spellings of one name are one name; a typo in a long name costs a
// little. The first and last names must both be there.
func MatchName(claim string, p domain.Person) Result {
	got := withoutTitles(words(claim))
	parts := reportedParts(p)
	if len(got) == 0 || len(parts) == 0 {
		return Result{}
	}
	got, parts = joinCompounds(got, parts)
	used := make([]bool, len(got))
	total, earned := 0.0, 0.0
	firstOK, lastOK := false, false
	// First and last names pick their words before middle names do.
	for _, pass := range []func(role) bool{
		func(r role) bool { return r != roleMiddle },
		func(r role) bool { return r == roleMiddle },
	} {
		for _, pt := range parts {
			if !pass(pt.role) {
				continue
			}
			weight := float64(weightMiddle)
			switch pt.role {
			case roleFirst:
				weight = weightFirst
			case roleLast:
				weight = weightLast
			}
			total += weight
			credit, at := bestWord(pt, got, used)
			if at >= 0 {
				used[at] = true
			}
			if pt.role == roleMiddle && at < 0 {
				credit = creditMissingMiddle
			}
			earned += weight * credit
			if credit >= 0.9 && pt.role == roleFirst {
				firstOK = true
			}
			if credit >= 0.9 && pt.role == roleLast {
				lastOK = true
			}
		}
	}
	for i := range got {
		if !used[i] {
			earned -= penaltyExtra
		}
	}
	score := int(100*earned/total + 0.5)
	score = max(0, min(100, score))
	return Result{Score: score, Match: firstOK && lastOK && score >= 80}
}

// bestWord finds the claimed word that best stands for a reported part:
// its credit (0..1) and index, or -1.
func bestWord(pt part, got []string, used []bool) (float64, int) {
	best, at := 0.0, -1
	for i, w := range got {
		if used[i] {
			continue
		}
		c := wordCredit(pt, w)
		if c > best {
			best, at = c, i
		}
	}
	if best == 0 {
		return 0, -1
	}
	return best, at
}

func wordCredit(pt part, w string) float64 {
	r := pt.word
	switch {
	case w == r:
		return 1
	case variants[w] != "" && variants[w] == variants[r]:
		return 0.95
	case len([]rune(w)) == 1:
		if w[0] != r[0] {
			return 0
		}
		switch pt.role {
		case roleMiddle:
			return creditInitial
		case roleFirst:
			return creditFirstInitial
		}
		return 0 // a surname is never an initial
	}
	// A typo in a long word: one edit in seven letters or more.
	if len([]rune(r)) >= 6 && len([]rune(w)) >= 6 && editDistance(w, r) <= 1 {
		return 0.9
	}
	return 0
}

// joinCompounds treats "Abdul Rahman" and "Abdulrahman" as one word,
// whichever side wrote it apart.
func joinCompounds(got []string, parts []part) ([]string, []part) {
	reported := map[string]bool{}
	for _, p := range parts {
		reported[p.word] = true
	}
	var joined []string
	for i := 0; i < len(got); i++ {
		if i+1 < len(got) && reported[got[i]+got[i+1]] {
			joined = append(joined, got[i]+got[i+1])
			i++
			continue
		}
		joined = append(joined, got[i])
	}
	claimed := map[string]bool{}
	for _, w := range joined {
		claimed[w] = true
	}
	var out []part
	for i := 0; i < len(parts); i++ {
		if i+1 < len(parts) && claimed[parts[i].word+parts[i+1].word] {
			role := parts[i].role
			if parts[i+1].role == roleLast {
				role = roleLast
			}
			out = append(out, part{parts[i].word + parts[i+1].word, role})
			i++
			continue
		}
		out = append(out, parts[i])
	}
	return joined, out
}

// editDistance is the Damerau-Levenshtein distance (with adjacent
// transpositions) of two words.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// --- addresses

var addressWords = map[string]string{
	"rd": "road", "st": "street", "str": "street", "ave": "avenue", "av": "avenue", "cres": "crescent", "cresc": "crescent",
	"cl": "close", "est": "estate", "blvd": "boulevard", "hwy": "highway", "expy": "expressway", "ln": "lane",
	"dr": "drive", "pl": "place", "sq": "square", "ext": "extension", "gra": "gra", "fct": "abuja",
}

var addressNoise = setOf("no", "number", "plot", "flat", "off", "the", "of", "by", "along", "beside", "opposite", "opp",
	"state", "nigeria", "ng", "lga", "p", "o", "box")

// addressTokens are the folded words and numbers of an address, with
// abbreviations spelled out and filler left out.
func addressTokens(s string) (words map[string]bool, numbers map[string]bool) {
	words, numbers = map[string]bool{}, map[string]bool{}
	for _, w := range strings.FieldsFunc(fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if full, ok := addressWords[w]; ok {
			w = full
		}
		if addressNoise[w] {
			continue
		}
		if digits(w) == w {
			numbers[w] = true
			continue
		}
		words[w] = true
	}
	return words, numbers
}

// matchAddress compares addresses word by word: what the claim says must
// be in the bank's address (a claim may leave out the area), and a house
// number both give must agree.
func matchAddress(a, b string) Result {
	wa, na := addressTokens(a)
	wb, nb := addressTokens(b)
	if len(wa) == 0 || len(wb) == 0 {
		return Result{}
	}
	common := 0
	for w := range wa {
		if wb[w] {
			common++
		}
	}
	precision := float64(common) / float64(len(wa))
	recall := float64(common) / float64(len(wb))
	score := int(100*(0.75*precision+0.25*recall) + 0.5)
	numbersAgree := true
	if len(na) > 0 && len(nb) > 0 {
		numbersAgree = false
		for n := range na {
			numbersAgree = numbersAgree || nb[n]
		}
	}
	if !numbersAgree {
		score = min(score, 50)
	}
	return Result{Score: score, Match: numbersAgree && score >= 75}
}
