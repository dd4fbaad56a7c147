"""Example texts shared by the pages and the presentation sequence."""

ROOSEVELT = (
    "President Roosevelt was one of the most influential presidents in American history. "
    "However, Roosevelt Street in Manhattan was not named after him."
)
NEWS = (
    "The European Commission said on Thursday it disagreed with German advice to consumers to shun "
    "British lamb until scientists determine whether mad cow disease can be transmitted to sheep."
)
SPORTS = (
    "Manchester United beat Juventus 2-1 at Old Trafford on Wednesday, with goals from Ryan Giggs "
    "and Eric Cantona, to top Group C of the Champions League."
)
SAME_WORD = (
    "Jordan scored 30 points for Chicago. Jordan signed a peace treaty with Israel. "
    "Paris Hilton flew to Paris to visit the Hilton headquarters."
)
TYPOS = (
    "Roosevelt Street in Manhattan was not named after him, but the networc of streets arround it "
    "was planed by the city in 1811, and pepole still beleive otherwise."
)
# Real words in the wrong place: no dictionary flags them; only reading the sentence can.
REAL_WORDS = "Thanks four the help! I got a letter form my aunt, and now I want to by a car."
# The left-hand side ("" at the start of a sentence) fits both words; only the words after "Form" settle it.
RIGHT_SIDE = "Form the window I could see the sea."
# Both sentences open with the same ten tokens, and only words beyond the CNN tagger's window (4 tokens)
# tell a company from a player: the CNN must label both Morgans alike, the BiLSTM need not.
FAR_CLUE = (
    "Morgan, after a long and difficult week of meetings, said its net profit rose 12 percent and its shares gained. "
    "Morgan, after a long and difficult week of meetings, scored twice in the second half."
)
# Typed the way people type into a phone: no capitals, so the casing feature gives the tagger no help.
LOWER_CASE = "apple announced the new iphone in cupertino on tuesday"
# A post from social media: a handle, a hashtag, emoji (one with a variation selector) and a name of today.
SOCIAL = "omg @burnaboy just sold out Madison Square Garden again 🔥❤️ #AfricanGiant congrats from Chioma in Lagos!!"

TEXT_PRESETS = {
    "The article's example": ROOSEVELT,
    "News": NEWS,
    "Sports result": SPORTS,
    "Same word, new type": SAME_WORD,
    "Typos": TYPOS,
    "Real words, wrong place": REAL_WORDS,
    "Only the right side tells": RIGHT_SIDE,
    "Typed in lower case": LOWER_CASE,
    "A social media post": SOCIAL,
}
COMPARE_PRESETS = {
    "The article's example": ROOSEVELT,
    "The clue is far away": FAR_CLUE,
    "Same word, new type": SAME_WORD,
    "News": NEWS,
}

# The pen page's examples: (digit, style) of sources/pen_drawings.py, drawn in the order people write.
PEN_EXAMPLES = {
    "A 7, one stroke": (7, "centred"),
    "A 4, two strokes": (4, "centred"),
    "A 3, two curves": (3, "centred"),
    "An 8, one stroke": (8, "centred"),
    "A small 2 in the corner": (2, "small, off-centre"),
    "A tilted 5": (5, "tilted"),
}
