"""Layout cues and word lists for finding names: titles, kinship words, greetings, sign-offs, labels.

Kept apart from the matching logic in ``_names`` so the rules read as data.
"""

from __future__ import annotations

import re

from replydraft.deid._gazetteer import words as _words

# words that are never names on their own, whatever a gazetteer says
_STOP = _words(
    """
    i im i'm ive i've id i'd ill i'll me my mine we us our you your he him his she her they them their it
    its a an the and or but so if of in on at to for from by with about as into than then that this these
    those dr doctor doc nurse np pa rn md do mr mrs ms miss mx sir madam maam ma'am dear hi hello hey
    thanks thank thx ty regards sincerely best cheers love god bless team staff office clinic hospital
    pharmacy everyone all there mom mum dad mother father son daughter wife husband sister brother
    grandma grandpa aunt uncle baby kid kids boss monday tuesday wednesday thursday friday saturday
    sunday mon tue tues wed thu thur thurs fri sat sun today tomorrow yesterday tonight morning afternoon
    evening night week weekend month year january february march april may june july august september
    october november december jan feb mar apr jun jul aug sep sept oct nov dec christmas easter
    thanksgiving halloween yes no not ok okay please pls plz sorry just also still really very been being
    have has had was were is are am be would could should can cant can't dont don't didnt didn't doesnt
    isnt wasnt wont won't lol idk btw fyi asap appt meds rx er icu ob gyn obgyn pcp pt ot er urgent care
    mychart portal covid flu hmo ppo medicare medicaid english spanish american mexican chinese thai
    indian african asian latino hispanic jesus lord christ bible church amen insurance dept department
    vietnamese somali arabic russian ukrainian korean japanese tagalog filipino haitian creole french
    portuguese polish german italian hmong nepali burmese swahili amharic farsi persian dari pashto urdu
    hindi punjabi bengali cantonese mandarin navajo jehovah sgt
    mondays tuesdays wednesdays thursdays fridays saturdays sundays fax tel ph esq sr jr ii iii iv pharmd
    mrn hr grp pcn bin ncpdp dos ssn dob rx mbi npi dea billing scheduling records triage admin forwarded
    subject re fw fwd sent wrote cc bcc attn
    center centre medical health services unit floor room
    hg mmhg mg mcg ml kg lb lbs bpm mmol dl iu oz mm cm vin
    """
)
_TITLES_PROVIDER = (
    r"dr|doctor|doc|nurse|np|pa|pa-c|rn|lpn|cna|pharmacist|therapist|midwife|physio|dentist|surgeon|"
    r"counselor|counsellor|chaplain|dietitian|dietician|nurse practitioner|physician assistant|"
    r"provider|prof|professor|coordinator|scheduler|receptionist|tech|technician|aide|case manager|"
    r"resident|intern|"
    r"social worker|sw|nurse navigator|navigator|cardiologist|oncologist|neurologist|dermatologist|"
    r"rheumatologist|endocrinologist|urologist|psychiatrist|psychologist|podiatrist|optometrist|"
    r"ophthalmologist|pediatrician|gastroenterologist|pulmonologist|nephrologist|surgeon|ob|obgyn|ob-gyn|"
    r"pcp|gp|hospitalist|anesthesiologist|radiologist|audiologist|chiropractor|physical therapist|pt|ot"
)
_TITLES_PERSON = (
    r"mr|mrs|ms|miss|mx|sgt|officer|coach|pastor|rev|reverend|father|fr|sister|brother|judge|attorney|lawyer|"
    r"teacher|principal|agent|adjuster|caseworker|rep"
)
_KIN = (
    r"son|daughter|wife|husband|partner|spouse|mom|mother|mum|dad|father|brother|sister|grandson|granddaughter|"
    r"grandma|grandmother|grandpa|grandfather|granny|nana|papa|aunt|auntie|uncle|niece|nephew|cousin|friend|"
    r"neighbor|neighbour|boyfriend|girlfriend|fiance|fiancee|fiancé|caregiver|carer|roommate|kid|child|baby|"
    r"boss|coworker|co-worker|stepson|stepdaughter|stepmom|stepdad|twin|sibling|granddad|in-law|"
    # "mother in law" is written without hyphens as often as with them
    r"(?:mother|father|sister|brother|son|daughter)[- ]in[- ]law|ex|ex-wife|grandbaby|great-grand\w+|"
    r"stepsister|stepbrother|half-sister|half-brother|godmother|godfather|"
    r"ex-husband|toddler|infant|newborn|grandchild|grandkid|godson|goddaughter|guardian|sitter|babysitter|"
    r"nanny|aide|supervisor|manager|landlord|pastor|sponsor|buddy|bestie|colleague|classmate|teammate|"
    r"youngest|oldest|eldest|little one|other half|hubby|bf|gf|bff|wifey|sis|bro|mil|fil|ex|"
    r"foster (?:son|daughter|child)|"
    r"ward|client|resident|student|coach|trainer|tutor|housemate|flatmate|carpool|running buddy|"
    # people named by what they are to the writer: "my boy Dale", "my HR person Faith Morrow"
    r"boy|girl|person|guy|lady|gal|fella|intern|contact|admin|assistant|helper"
)
_PROVIDER_CTX = re.compile(
    # ("the PA, Faith, was great": a comma may follow the title before a capitalised name; "nurse, fever" no)
    rf"(?:^|(?<=[^\w]))(?:{_TITLES_PROVIDER})(?:\.?\s+(?:(?:is|was)\s+)?(?=\S)|,[ \t]+(?=(?-i:[A-Z][a-z])))",
    re.IGNORECASE,
)
_PERSON_TITLE_CTX = re.compile(rf"\b(?:{_TITLES_PERSON})\.?\s+(?=\S)", re.IGNORECASE)
_KIN_CTX = re.compile(
    rf"\b(?:my|our|his|her|their|your|the|a)\s+(?:(?:little|older|younger|big|baby|adult|late|ex|step|"
    # any one word may qualify the role ("my HR person", "my new coworker", "my sister's friend")
    rf"twin|\d+[- ]?(?:yo|y/o|year[- ]old|month[- ]old)|[a-z][a-z'’-]*)\s+)?(?:{_KIN})s?(?:'s)?\s*,?\s+"
    # "the guardian of kaombwe wanjala": "of" too (what follows "of my" / "of the" stops at the stop word)
    r"(?:(?:is|was|named|called|of)\s+)?(?=\S)",
    re.IGNORECASE,
)
# a role or kinship word opening a sentence or line, with no determiner: "Baby grace is 6 days old",
# "Resident Terrence Baptiste", "Husband Bill is driving"
# (the sentence start is checked in code: a look-behind tried at every position cost more than all the rest)
_KIN_BARE = re.compile(
    r"\b(?:baby|son|daughter|husband|wife|hubby|partner|mom|dad|mother|"
    r"father|brother|sister|grandson|granddaughter|grandma|grandpa|nephew|niece|cousin|friend|neighbor|"
    r"neighbour|coworker|co-worker|boss|resident|intern|roommate|boyfriend|girlfriend|fiance|fiancee|"
    r"stepson|stepdaughter|caregiver|twin)\s+(?=\S)",
    re.IGNORECASE,
)
# "Member: ANTOINE R DUBOIS", "Dad: Samir Haddad", "manager is Teresa Blackwood", "boss is Rich"
_LABEL_CTX = re.compile(
    # the leading lookahead changes no match: it lets the engine skip non-letters before trying the long
    # alternation (measured: half the time of this pattern, which was the costliest of all)
    rf"(?=[A-Za-z])(?:\b(?:member|patient|pt|name|subscriber|insured|policy\s*holder|parent|guardian|"
    rf"guarantor|responsible\s+party|account\s+holder|cardholder|beneficiary|dependent|"
    rf"child|student|employee|emergency\s+contact|contact|spouse|caregiver|proxy|{_KIN})\s*(?:name)?\s*:\s*(?=\S)"
    # "Name on the account is Dolores M. Fuentes-Ibarra", "name on the card: ..."
    r"|\bname\s+on\s+(?:the\s+|my\s+)?(?:account|card|policy|file|chart|prescription|form|bill|check|"
    r"insurance|license|id)\s*(?:is|was|:)\s*(?=\S)"
    rf"|\b(?:{_KIN}|contact|manager|rep|representative|adjuster|caseworker|coordinator|supervisor|advocate|"
    rf"patient|member|subscriber|insured|policy\s*holder|account\s+holder|"
    rf"teacher|principal|landlord|sponsor|attorney|lawyer)\s+(?:is|was|named|called)\s+(?=\S))",
    re.IGNORECASE,
)
# "Name as on passport: OLU ADEYEMI-GRANT", "Full legal name (as on card): ...", "Caller: ...": a label about
# a name (kept apart from _LABEL_CTX: inside its long alternation it doubled that pattern's cost)
_NAME_LABEL = re.compile(
    r"\b(?:name\b[^:\n.!?]{1,30}|caller|sender|(?:requested|submitted|written)\s+by)\s*:[ \t]*(?=\S)",
    re.IGNORECASE,
)
_SELF_CTX = re.compile(
    r"\b(?:this\s+is|it'?s|it\s+is|i\s+am|i'?m|im|my\s+name\s+is|name'?s|name\s+is|named|called|call\s+me|"
    r"signed|sign(?:ed)?\s+by|from|ask\s+for|speak\s+(?:to|with)|talk(?:ed)?\s+(?:to|with)|spoke\s+(?:to|with)|"
    r"per|cc|attn|attention|contact|reach|tell|told|asked|and\s+me|me\s+and|with|for|patient|pt|re)\b[,:]?\s+(?=\S)",
    re.IGNORECASE,
)
_GREETING = re.compile(
    # ">" quotes an earlier message: "> Hi Faith, your results ..." is a greeting too
    r"(?:^|\n)[\s>]*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening|day)|greetings|attn|to|yo|hiya|morning|"
    r"afternoon|evening|howdy)\b[ ,!]*(?:(?:dr|doctor|doc|nurse|np|pa)\.?\s+)?(?=\S)",
    re.IGNORECASE,
)
_SIGNOFF = re.compile(
    r"(?:^|[\n.!?]\s*|\s)(?:thanks(?:\s+(?:so\s+much|again|a\s+lot|in\s+advance))?|thank\s+you(?:\s+(?:so\s+much|again|"
    r"in\s+advance))?|thx|ty|best(?:\s+regards|\s+wishes)?|regards|kind\s+regards|warm\s+regards|sincerely|"
    r"cheers|love|blessings|god\s+bless|take\s+care|respectfully|warmly|gratefully|appreciate\s+it|"
    r"yours(?:\s+truly)?|v/r|xo|xoxo)\s*[,!.:]*\s+(?=\S)|(?:^|(?<=\s))(?:-+|–|—|~)\s*(?=[^\W\d_])",
    re.IGNORECASE,
)
# month/weekday words that are also given names (Thu, Jun, May, June, April): a chart name wins
_CALENDAR_NAMES = _words("thu jun may june april august jan sat sun mon tue wed fri dec")
_REAL_DRUG_NAMES = frozenset({"allegra", "tobi"})
# stop words that are also given names: a name only capitalised mid-sentence in a role slot ("my coworker Ty")
_STOP_NAMES = _words("ty june april august may jan dari sun thu")
# first names that are also everyday words which follow a role word as often as a name does ("my son even",
# "my wife soon"): never a name in lower case in ordinary text
_ADVERB_NAMES = _words(
    """
    ever even else soon other any many less early long daily real true truly deep read see said rise press
    lean handy happy little young special general major minor normal famous only per so can may tell
    """
)
# after "my son" / a title the next word is a name unless it is one of these
_SLOT_STOP = _words(
    """
    will may can might must shall should would could is was has had have does did do just also and who whos
    who's said says got gets needs wants started keeps the a an to in on at for with of from about as but or
    so that this been being went came seems seemed still really already again too here there now then has
    had having getting needs need needed wanted takes took take is's isn't wasn't doesn't didn't hasn't
    age aged turned turning who's goes gets loves likes lives works plays attends
    couldn't couldnt wouldn't wouldnt shouldn't shouldnt can't cant won't wont didn't didnt doesn't doesnt
    hadn't haven't aren't weren't isnt wasnt ok okay
    both all each every some many more most other only even ever never always often once yet
    """
)
_AND_ME = re.compile(r"(?:^|(?<=[\s,(]))([^\W\d_][\w'’-]*)\s+(?:and|&)\s+(?:i|me)\b(?!')", re.IGNORECASE)
_ME_AND = re.compile(r"\b(?:me|myself)\s+(?:and|&)\s+(?=\S)", re.IGNORECASE)
_PAREN_KIN = re.compile(rf"([^\W\d_][\w'’-]*)\s*\((?:my|our|his|her|the)\s+(?:{_KIN})\)", re.IGNORECASE)
_PLACE_CUE = re.compile(
    r"\b(?:in|to|from|near|visiting|outside|around|of|at|into|toward|towards|through|via)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_PLACE_CUE_STRONG = re.compile(
    r"\b(?:live|lives|living|lived|moved|moving|move|staying|stays|visiting|trip|travell?ing|drove|driving|flew|"
    r"flying|relocated|relocating|born|raised|grew\s+up)\s+(?:\w+\s+)?(?:in|to|at|from|near)\s+$",
    re.IGNORECASE,
)
_TRAILING_ZIP = re.compile(r",?[ \t]+(\d{5}(?:-\d{4})?)\b")
# a state code right after a city ("Waukesha WI", "moved to Mesa, AZ"); codes that are also words or
# credentials (OR, IN, PA, MD ...) only where the line or clause ends after them
_TRAILING_STATE = re.compile(
    r",?[ \t]+(?:(AK|AZ|AR|CA|CT|DC|FL|GA|IL|IA|KS|KY|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|RI|SC|SD|TN|"
    r"TX|UT|VT|VA|WA|WV|WI|WY|AB|BC|MB|NB|NL|NS|NU|PE|QC|SK|YT)|"
    # (Canadian provinces too: "Kelowna BC", "Thunder Bay, ON")
    r"(AL|CO|DE|HI|ID|IN|LA|MA|MD|ME|OH|OK|OR|PA|ON|NT)(?=[ \t]*(?:[.,;:!?)\n]|$|\d{5})))(?![\w-])"
)
_ORG_TAIL = _words(
    """
    healthcare health insurance mutual apothecary pharmacy clinic hospital imaging medical labs lab scripts
    services financial bank group associates partners university college school church center centre
    inc llc corp company motors foundation institute network systems care
    """
)
# street-type words: "Grant Park Ave", "Bell Rd" are places, not people
_STREET_WORDS = _words(
    """
    st street ave avenue rd road dr drive blvd boulevard ln lane way ct court pl place ter terrace cir circle
    hwy highway pkwy parkway trl trail park
    """
)
_SAINT = re.compile(r"\b(?:st|saint|ste)\.?\s+$", re.IGNORECASE)
_ID_FOLLOWS = re.compile(
    r"(?<=[^\W\d_])[ \t,]*\n?[ \t]*(?:\(?\b(?:dob|d\.o\.b\.?|mrn#?|date\s+of\s+birth|(?:was\s+)?born|"
    r"birthdate|ssn|social\s+security)\b|"
    # a phone in any common layout: "608-555-0118", "(586)517-0223", "1-224-954-9429", "7045586729"
    r"(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}\b|"
    # a numeric date of birth written straight after the name: "ngozi adeyemi 5/7/1987", "(2006-07-01)"
    r"\(?\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}\b|\(?(?:19|20)\d{2}-\d{2}-\d{2}\b|\(mrn)",
    re.IGNORECASE,
)
# (a nickname in quotes may sit inside: 'CALL ME 414-555-0119. GERALD "GERRY" MCALLISTER')
_TAIL = re.compile(r"(?<=[.!?;:)\n])[ \t]*((?:[\"“]?[^\W\d_][\w'’-]*[\"”]?[ \t]*){1,3})(?=\n|$)")
_VOCATIVE = re.compile(r"(?:^|\n)[ \t>]*([A-Z][a-z]+),[ \t]+[a-z]")
_POSSESSIVE = re.compile(r"\b([A-Z][a-z]+)(?:'s|’s)\b")
_OTHER_SCRIPT = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0400-\u04ff\u0600-\u06ff\u0e00-\u0e7f]+"
)
_HERE = re.compile(
    r"(?:^|\n)\s*([^\W\d_][\w'’-]*)\s+here\b(?!\s+(?:is|are|was|and|in|at|to|for|with))", re.IGNORECASE
)
_ME_COMMA = re.compile(r"\b(?:that'?s|thats|it'?s|its|this\s+is)\s+me\s*[,:-]\s*(?=\S)", re.IGNORECASE)
_CREDENTIAL = re.compile(
    r",?\s+(?:MD|M\.D\.|DO|D\.O\.|RN|NP|FNP|FNP-C|APRN|PA|PA-C|LPN|CNM|DPM|PharmD|DDS|DMD|LCSW|PhD|CRNA|BSN|MSN)\b"
)
_PARTICLES = _words(
    """
    van von de del della di da la le bin ibn al el abu st mac mc dos das du ter ten
    """
)
_EPONYM = re.compile(
    r"\b(?:parkinson|crohn|alzheimer|hashimoto|graves|addison|cushing|raynaud|sjogren|sjögren|tourette|"
    r"huntington|lou\s+gehrig|gehrig|asperger|lyme|guillain|barré|hodgkin|non-hodgkin|meniere|ménière|"
    r"epstein|kawasaki|paget|osgood|schlatter|marfan|ehlers|danlos|barrett|dupuytren|heimlich|pap|apgar|"
    r"foley|holter|epley|valsalva|babinski|achilles|buerger|behcet|behçet|kaposi|legionnaire|munchausen|"
    r"peyronie|reye|klinefelter|wernicke|korsakoff|whipple|zollinger|kegel|heberden|bouchard|scheuermann|"
    r"perthes|quervain|hirschsprung|nissen|lasik|mohs|doppler|cesarean|caesarean|braxton|hicks|charcot|"
    r"tinel|phalen|covid|medicare|medicaid|epipen|dexcom|omnipod|fitbit|cpap|bipap|mychart|down\s+syndrome|"
    r"bell'?s\s+palsy|baker'?s\s+cyst|tay[- ]sachs|stevens[- ]johnson|guillain[- ]barr[eé])"
    r"(?:'s|’s|s'|s)?(?=\W|$)",
    re.IGNORECASE,
)
# any capitalised word followed by a disease word is an eponym ("Wilson's disease", "Still's disease")
_EPONYM_FOLLOW = re.compile(
    r"\b[A-Za-z][\w-]*(?:'s|’s|s'|s)?\s+(?:disease|syndrome|palsy|cyst|esophagus|contracture|phenomenon|"
    r"maneuver|manoeuvre|neuroma|ulcer|neuralgia|thyroiditis|lymphoma|sarcoma|ataxia|anomaly)\b",
    re.IGNORECASE,
)
EPONYM_RES = (_EPONYM, _EPONYM_FOLLOW)
# a capitalised word that ends like a medical term is not a surname
_MEDICAL_END = re.compile(
    r"(?:itis|osis|emia|aemia|ectomy|otomy|ostomy|ology|ologist|gram|graphy|scopy|pathy|plasty|algia|"
    r"oma|uria|penia|cytosis|trophy|plegia|sclerosis|azole|mab|nib|pril|sartan|olol|"
    r"statin|dipine|cillin|mycin|cycline|floxacin|vir|tide|gliptin|gliflozin|parin|xaban|zepam|zolam|"
    r"oxetine|triptan|profen|codone|morphone|"
    # word endings that are adjectives and nouns, not surnames ("Automated", "Glomerular", "Immunologic")
    r"ated|ized|ised|ic|ical|ular|ogic|ive|ory|tion|sion|ment|ness|ity|ism|ous|able|ible|ency|ance|ence)$",
    re.IGNORECASE,
)
MEDICAL_END = _MEDICAL_END
