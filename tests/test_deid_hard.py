"""Hard cases written for this suite (not taken from the dev sets): how people really write.

Each case lists values that must not survive de-identification and words that must. All synthetic.
Cases the rules are known to miss are marked xfail with the reason, so progress shows as XPASS.
"""

from __future__ import annotations

import pytest

from replydraft.deid import Deidentifier, KnownIdentifiers

CASES: list[tuple[str, str, list[str], list[str]]] = [
    (
        "lowercase",
        "hi dr okonkwo its bernadette. my husband kofi has had chills since tuesday. can u call 414 555 0162",
        ["okonkwo", "bernadette", "kofi", "414 555 0162"],
        ["chills", "tuesday"],
    ),
    (
        "all_caps",
        "HELLO THIS IS RAYMOND KOWALCZYK, MY WIFE DOROTA NEEDS HER METOPROLOL REFILLED. DOB 04/22/1951",
        ["RAYMOND", "KOWALCZYK", "DOROTA", "04/22/1951"],
        ["METOPROLOL", "REFILLED"],
    ),
    (
        "voice_to_text",
        "hey siri send message to doctor patel this is anjali sharma my date of birth is march third "
        "nineteen eighty two my number is six zero eight five five five zero one four four period",
        ["patel", "anjali", "sharma", "march third", "six zero eight five five five zero one four four"],
        ["message"],
    ),
    (
        "hyphenated_and_non_anglo",
        "Dear Dr. Ng, my mother Nguyễn Thị Hoa and my uncle Oluwadamilare Adebayo-Smith both take Eliquis. "
        "Signed, Siobhán Ní Bhriain",
        ["Ng", "Nguyễn", "Hoa", "Oluwadamilare", "Adebayo-Smith", "Siobhán"],
        ["Eliquis", "mother", "uncle"],
    ),
    (
        "word_names_in_layout",
        "My daughter Rose has a rash. My son Will has it too.\nThanks,\nHope",
        ["Rose", "Will", "Hope"],
        ["rash", "too"],
    ),
    (
        "word_names_as_words",
        "I hope the rash will go away. The rose bush in the yard may be the cause.",
        [],
        ["hope", "will", "rose", "may"],
    ),
    (
        "quoted_reply",
        "Thank you!\n\n> On Mar 3, 2026, Nurse Imani Brooks wrote:\n> Hi Dolores, your labs look stable.",
        ["Mar 3, 2026", "Imani", "Brooks", "Dolores"],
        ["labs look stable"],
    ),
    (
        "signature_block",
        "Please fax the form to my employer.\n\n--\nMarisol Quintero-Vega\n"
        "Accounts Payable, Hartwell Foods Inc.\n"
        "(920) 555-0177 | marisol.qv@example.com",
        ["Marisol", "Quintero-Vega", "Hartwell Foods", "(920) 555-0177", "marisol.qv@example.com"],
        ["fax the form"],
    ),
    (
        "eponyms_and_drugs",
        "Dr. Lindqvist thinks my Crohn's flared; my Hashimoto's is fine on Synthroid "
        "and my Bell's palsy is gone.",
        ["Lindqvist"],
        ["Crohn's", "Hashimoto's", "Synthroid", "Bell's palsy"],
    ),
    (
        "address_and_ids",
        "New address: 2207 W Juniper Ct Apt 12, Fitchburg WI 53711. Member ID ZKR-4410-982, Rx #6620415.",
        ["2207 W Juniper Ct Apt 12", "Fitchburg", "53711", "ZKR-4410-982", "6620415"],
        ["New address"],
    ),
    (
        "ages",
        "My grandfather is 97 and my aunt just turned one hundred and two. I am 54.",
        ["97", "one hundred and two"],
        ["54"],
    ),
    (
        "chart_aware_typos",
        "this is katheryn oconnel, dob 7-9-62, mrn 4471920",
        ["katheryn", "oconnel", "7-9-62", "4471920"],
        [],
    ),
    (
        "emails_and_urls_obfuscated",
        "my email is t dot reyes at example dot org, my page is example.net/tomas-reyes",
        ["t dot reyes at example dot org", "example.net/tomas-reyes"],
        ["my email is"],
    ),
    (
        "texting_style",
        "hey its me again lol. can u call me @ 608 555 0175 thx -Tavi",
        ["608 555 0175", "Tavi"],
        ["call me"],
    ),
    (
        "insurance_card_paste",
        "New card:\nMember Name: PRIYANKA R DESHMUKH\nMember ID: QHX 448 120 93\n"
        "Group: 0041187\nPlan: PPO Gold",
        ["PRIYANKA", "DESHMUKH", "QHX 448 120 93", "0041187"],
        ["PPO Gold"],
    ),
    (
        "pet_and_brand",
        "Our dog Biscuit chewed my Dexcom sensor. Can you send a new one to the Walgreens on Atwood Ave?",
        ["Atwood Ave"],
        ["Biscuit", "Dexcom", "Walgreens"],
    ),
    (
        "spanish",
        "Hola doctora, soy Guadalupe Ramírez, mi cita es el 17 de marzo. Mi teléfono es 305-555-0197.",
        ["Guadalupe", "Ramírez", "17 de marzo", "305-555-0197"],
        ["cita"],
    ),
    (
        "child_with_dob",
        "My son Mateo Quispe-Alvarado (DOB 04/02/2019) has had a fever of 103 for two days.",
        ["Mateo", "Quispe-Alvarado", "04/02/2019"],
        ["fever of 103", "two days"],
    ),
    (
        "patient_named_hope",
        "I hope you can help. My knee is worse.\n\nThank you,\nHope Castellanos-Reyes",
        ["Hope Castellanos-Reyes"],
        ["I hope you can help"],
    ),
    # --- lower-case names without a cue, word-names, calendar names (issue 3 recall work)
    (
        "ids_do_not_make_text_look_capitalised",
        "my card says member XK2231987 group G117734. renata bishop\ndob 6/2/1979",
        ["renata", "bishop", "6/2/1979", "XK2231987"],
        ["my card says"],
    ),
    (
        "non_anglo_first_names_lowercase",
        "pls cancel rohan chaudhry for friday, and abena owusu can come instead",
        ["rohan", "chaudhry", "abena", "owusu"],
        ["friday", "instead"],
    ),
    (
        "word_surname_before_identifier",
        "Please send it to the pharmacy on file. Destiny Love DOB 03/09/1971",
        ["Destiny", "Love", "03/09/1971"],
        ["Please send it to the pharmacy"],
    ),
    (
        "phone_layouts_after_name",
        "please cancel lakshmi venkataraman (586)517-0223 or call jo marsh 1-224-954-9429",
        ["lakshmi", "venkataraman", "517-0223", "jo marsh", "954-9429"],
        ["please cancel"],
    ),
    (
        "calendar_first_names",
        "Im June Sweet, MRN 88123. My mother Thu Huynh needs her refill too.\n\nThanks, May",
        ["June", "Sweet", "88123", "Thu", "Huynh", "May"],
        ["needs her refill"],
    ),
    (
        "name_phrase_repeats",
        "this is grant bishop calling back about my labs. please leave grant bishop a voicemail.\n"
        "thanks, grant bishop",
        ["grant", "bishop"],
        ["labs", "voicemail"],
    ),
    (
        "guardian_of",
        "also, i'm the guardian of tendai moyo (2009-04-12). court papers attached.",
        ["tendai", "moyo", "2009-04-12"],
        ["court papers attached"],
    ),
    (
        "patient_is_label",
        "My aunt asked me to write. Patient is Faith Goodwin, 93 yo, and she lives alone.",
        ["Faith", "Goodwin", "93"],
        ["lives alone", "My aunt asked me to write"],
    ),
    (
        "first_name_then_word_surname",
        "There is a mistake in my chart: my name is spelled Tony Sweet, with no e at the end.",
        ["Tony", "Sweet"],
        ["mistake in my chart"],
    ),
    (
        "names_a_dictionary_also_lists",
        "Luke said Abigail had a fever, so John drove her in.",
        ["Luke", "Abigail", "John"],
        ["fever", "drove her in"],
    ),
    (
        "names_a_dictionary_also_lists_lowercase",
        "pls tell seth his results are fine, and ask sophia to call back",
        ["seth", "sophia"],
        ["results are fine", "call back"],
    ),
    # --- dates written out, organisations, addresses given as directions
    (
        "spelled_dates",
        "I was seen March the 3rd. My dob is four fifteen two thousand. Surgery is set for the fourteenth.",
        ["March the 3rd", "four fifteen two thousand", "fourteenth"],
        ["Surgery is set for the"],
    ),
    (
        "ordinals_that_are_counts",
        "This is the third time I have asked, and the first one was fine.",
        [],
        ["third time", "first one"],
    ),
    (
        "lowercase_schools_and_daycares",
        "she is at the little oaks daycare now and her brother goes to st. ambrose academy",
        ["little oaks", "ambrose"],
        ["her brother goes to"],
    ),
    (
        "ordinary_schools_stay",
        "my kid goes to the new daycare, her sister to her old high school, then grad school",
        [],
        ["new daycare", "old high school", "grad school", "goes to"],
    ),
    (
        "organisation_named_beside_its_kind",
        "His daycare (Little Sprouts on Atwood Ave) says it is going around.",
        ["Little Sprouts", "Atwood"],
        ["His daycare", "going around"],
    ),
    (
        "address_as_directions",
        "For the nurse: we're the blue house on Elm past the Lutheran church, second driveway.",
        ["blue house on Elm", "Lutheran church"],
        ["second driveway"],
    ),
    (
        "lowercase_street_and_ordinary_way",
        "we live on bayou way near the school. the nurse is on her way, the form is on its way",
        ["bayou way"],
        ["on her way", "on its way", "near the school"],
    ),
    (
        "intersection",
        "The crash was at Fish Hatchery & McKee last week, near the corner of Park and Main.",
        ["Fish Hatchery", "McKee", "Park and Main"],
        ["The crash was at", "last week"],
    ),
    (
        "introducing_oneself_with_a_word_name",
        "yo its chase, my chase acct got hacked. can u resend the bill",
        ["its chase,"],
        ["my chase acct", "resend the bill"],
    ),
    (
        "first_name_as_subject",
        "cant sleep. autumn says i snore now. the bill says i owe $40 and my rose has aphids",
        ["autumn"],
        ["the bill says", "my rose has", "i snore"],
    ),
    (
        "spelled_letter_by_letter",
        "the phone spells my name weird, it's K W E S I and my email is h p r i c e at example dot org",
        ["K W E S I", "h p r i c e"],
        ["the phone spells my name weird"],
    ),
    (
        "nickname_in_quotes_closing_a_line",
        'CALL ME 414-555-0119. GERALD "GERRY" MCALLISTER',
        ["GERALD", "GERRY", "MCALLISTER", "414-555-0119"],
        ["CALL ME"],
    ),
    (
        "name_on_the_account",
        "Please start the draft. Name on the account is Dolores M. Fuentes-Ibarra.",
        ["Dolores", "Fuentes-Ibarra"],
        ["Please start the draft"],
    ),
    (
        "town_after_street_and_day_month_date",
        "HE LIVES AT 77 RIVER RD, SPRING GREEN. She has appointment on 24.03, dose 2.5 mg on 10.25 mg",
        ["77 RIVER RD", "SPRING GREEN", "24.03"],
        ["2.5 mg", "10.25 mg"],
    ),
    (
        "run_on_sign_off_then_new_topic",
        "can i lower the lipitor thanks major also why was i charged. thank you - hunter case also is dr "
        "rivers taking new patients. thanks again also send it",
        ["major", "hunter case", "rivers"],
        ["thanks again also send it", "why was i charged"],
    ),
    (
        "brand_word_as_surname_after_first_name",
        "I'm caring for my sister Sarah Kaiser. Her insurance is Kaiser and she shops at Target.",
        ["Sarah Kaiser"],
        ["insurance is Kaiser", "Target"],
    ),
    # --- false positives that must stay fixed
    (
        "verbs_after_lowercase_names",
        "my grandson mateo and his sister valentina both have pink eye. valentina says it itches.",
        ["mateo", "valentina"],
        ["both have pink eye", "says it itches"],
    ),
    (
        "word_names_opening_sentences",
        "Summer has been rough with my allergies. Will the Zyrtec help? May I take it with Flonase?",
        [],
        ["Summer has been", "Will the Zyrtec", "May I take", "Flonase"],
    ),
    (
        "states_languages_faiths_are_not_people",
        "Plate is HGV 4471 (Wisconsin). Mom speaks Vietnamese and needs a Somali interpreter; "
        "I'm a Jehovah's Witness. Georgia Banks will drive her.",
        ["HGV 4471", "Georgia", "Banks"],
        ["Wisconsin", "Vietnamese", "Somali", "Jehovah"],
    ),
    (
        "sentence_initial_word_name_before_a_verb",
        "Do I do these on the same day? Kit says collect by the morning.",
        [],
        ["Kit says collect"],
    ),
    (
        "greeting_then_verb",
        "Hey Need a refill on my lisinopril.\nThe home health nurse couldn't reach me.",
        [],
        ["Need a refill", "couldn't reach me", "lisinopril"],
    ),
    (
        "greeting_then_first_name",
        "Hi Grace, my labs came back. Thanks",
        ["Grace"],
        ["my labs came back"],
    ),
    (
        "units_and_verbs_are_not_names",
        "My BP was 152/94 mm Hg, then 148/90 mmHg.\nCall me if I should change the dose.",
        [],
        ["152/94 mm Hg", "148/90 mmHg", "Call me if I should change the dose"],
    ),
    (
        "caller_id_shows",
        "caller id shows 608-555-0143 when the office calls, is that you?",
        ["608-555-0143"],
        ["caller id shows", "office calls"],
    ),
    (
        "label_words_before_ordinary_text",
        "The patient is doing better and the member is active. My doctor is great.",
        [],
        ["patient is doing better", "member is active", "doctor is great"],
    ),
    (
        "lowercase_abbreviations_stay",
        "ok thx, the ekg and tsh were fine and my bp was 130/80. the vin on the car is on the form.",
        [],
        ["ekg", "tsh", "thx", "bp was", "vin on the car"],
    ),
    # --- blind-set categories (issue 3, round 2): general mechanisms, each with cases that must stay
    # 1. a name right after a role or kinship word, in any case
    (
        "lowercase_word_name_after_kin_in_normal_text",
        "My husband bill has had a cough for a week. Also the bill says I owe $40.",
        ["bill has had"],
        ["the bill says", "My husband"],
    ),
    (
        "word_name_after_kin_but_not_elsewhere",
        "my wife grace and I both got sick. by the grace of God we are fine. my best friend rose is here",
        ["wife grace", "friend rose"],
        ["the grace of God", "best friend"],
    ),
    (
        "role_word_then_verb_is_no_name",
        "My son will call you. My daughter may need a note. My wife even said so. My coworker said hi.",
        [],
        ["son will call", "daughter may need", "wife even said", "coworker said"],
    ),
    (
        "kin_word_name_all_caps",
        "MY BOY DALE HAS A FEVER OF 102. MY HUSBAND WILL PICK UP THE RX.",
        ["DALE"],
        ["MY BOY", "HUSBAND WILL PICK UP", "FEVER OF 102"],
    ),
    (
        "stop_word_given_name_after_role",
        "my coworker Ty and my friend Jo came with me. Ty said thanks.",
        ["coworker Ty", "Jo came"],
        ["came with me"],
    ),
    (
        "role_word_opening_a_sentence",
        'baby hazel is 6 days old. Baby formula is fine. Resident Terrence "T.J." Baptiste saw her.',
        ["hazel", "Terrence", "T.J.", "Baptiste"],
        ["Baby formula is fine", "6 days old"],
    ),
    (
        "qualified_role_word",
        "My HR person Faith Morrow needs the form. The person at the front desk said to call.",
        ["Faith", "Morrow"],
        ["My HR person", "The person at the front desk said"],
    ),
    (
        "greeting_in_a_quoted_reply",
        "Ok thanks\n\n> On Mon, Clinic wrote:\n> Hello Will, your results are normal.",
        ["Will"],
        ["your results are normal", "Ok thanks"],
    ),
    # 2. ALL CAPS and label cues
    (
        "all_caps_self_introduction_with_initial",
        "THIS IS EARL T. PICKERING CALLING ABOUT MY REFILL OF LASIX",
        ["EARL", "PICKERING"],
        ["CALLING ABOUT MY REFILL", "LASIX"],
    ),
    (
        "label_about_a_name",
        "Name as on passport: OLU ADEYEMI-GRANT\nFULL LEGAL NAME: ROSALIND T. FAIRWEATHER\n"
        "Patient name: lorna quist",
        ["OLU", "ADEYEMI-GRANT", "ROSALIND", "FAIRWEATHER", "lorna", "quist"],
        ["Name as on passport", "Patient name"],
    ),
    # 3. a word-name found in a full name, recurring alone
    (
        "first_name_of_a_full_name_recurs",
        "Rose Delacroix called about her labs. Rose wants the results. Will you call her?",
        ["Rose"],
        ["Will you call her", "wants the results"],
    ),
    (
        "recurring_word_name_before_pronoun_is_a_verb",
        "Will Harrington's dad here. Will got his shot yesterday. Will he need another?\n"
        "Bill Kowalczyk here too. Bill me later for the copay.",
        ["Harrington", "Will got", "Kowalczyk"],
        ["Will he need another", "Bill me later"],
    ),
    (
        "word_only_recurs_when_a_full_name_was_found",
        "Grace is a lovely word. Will the clinic call? I hope so.",
        [],
        ["Grace is a lovely word", "Will the clinic call", "I hope so"],
    ),
    # 4. phone layouts
    (
        "seven_digit_phone_near_a_cue_or_closing",
        "I can be reached at 555 0163 after 5pm.\nPlease call back\n555 0199",
        ["555 0163", "555 0199"],
        ["after 5pm"],
    ),
    (
        "irregular_phone_groupings",
        "my cell: 414 555 08 12 or (920)-555-0133",
        ["414 555 08 12", "920", "555-0133"],
        ["my cell"],
    ),
    (
        "numbers_that_are_not_phones",
        "BP was 120 80 and pulse 72. I took 500 1000 mg.",
        [],
        ["120 80", "500 1000 mg", "pulse 72"],
    ),
    # 5. dates
    (
        "month_and_day_as_a_code",
        "My password is my birth month and day 0412. The code is 1103 which is my birthday.",
        ["0412", "1103"],
        ["My password is my birth month and day"],
    ),
    (
        "bare_abbreviated_months",
        "I'll be away until Feb, done by the end of Sept, back by mid Oct. I may march in the parade.",
        ["Feb", "Sept", "Oct"],
        ["I may march in the parade", "away until", "back by mid"],
    ),
    # 6. places
    (
        "cities_abroad_after_a_place_cue",
        "We were visiting family in Thunder Bay, and she was born in Guadalajara.",
        ["Thunder Bay", "Guadalajara"],
        ["visiting family in", "she was born in"],
    ),
    (
        "everyday_words_that_are_cities_abroad_stay",
        "I visited Bath and Nice last year? No: I had a nice bath in the hotel.",
        [],
        ["nice bath", "hotel"],
    ),
    (
        "city_and_state_code_on_an_address_line",
        "Mail it to:\n44 Elm Ct\nWaukesha WI\nthanks",
        ["44 Elm Ct", "Waukesha", "WI"],
        ["Mail it to"],
    ),
    # 7. organisations
    (
        "care_home_named_our_lady_of",
        "My mom moved to a care home, Our Lady of Lourdes Manor, in June. She likes the Manor staff.",
        ["Lady of Lourdes Manor"],
        ["care home", "She likes the"],
    ),
    (
        "ampersand_firm_and_signature_title_line",
        "Please send the note to my employer.\n\nPriya Raman\nOwner, Hart & Sons\n"
        "I also teach at Stone & Birch Yoga",
        ["Priya", "Raman", "Hart & Sons", "Stone & Birch"],
        ["Owner", "send the note to my employer"],
    ),
    (
        "lowercase_kinds_are_not_firms",
        "IS IT OK TO GET A TATTOO? Mom's rehab stay ends soon. We did R&D and a Q&A.",
        [],
        ["TATTOO", "Mom's rehab stay", "R&D", "Q&A"],
    ),
    # 8. a street used as a modifier
    (
        "street_as_a_modifier",
        "I go to the Monroe St clinic, the mineral point rd walgreens, or the CVS on Gammon.",
        ["Monroe St", "mineral point rd", "Gammon"],
        ["clinic", "walgreens", "CVS"],
    ),
    (
        "shop_on_a_weekday_stays",
        "The pharmacy on Monday was closed but the clinic on Park was open.",
        ["Park"],
        ["pharmacy on Monday"],
    ),
    # 9. parcel tracking numbers
    (
        "parcel_tracking_numbers",
        "my pump's tracking # 9400 1111 2222 3333 4444 55, the ups one is 1Z 999 AA1 01 2345 6784",
        ["9400 1111 2222 3333 4444 55", " 55, the", "1Z 999 AA1 01 2345 6784"],
        ["tracking #"],
    ),
    (
        "lowercase_word_name_before_any_verb_or_possessive",
        "My son bill threw up twice. My husband rob's surgery is Monday. My wife even said so.",
        ["bill threw", "rob's"],
        ["wife even said so", "threw up twice"],
    ),
    (
        "my_name_is_a_word_name",
        "MY NAME IS WILL TURNER. my name is spelled wrong on the form. call me Hope.",
        ["WILL", "TURNER", "Hope"],
        ["my name is spelled wrong"],
    ),
    (
        "word_name_found_mid_sentence_recurs_mid_sentence_only",
        "Autumn is rough for allergies. My daughter Autumn has a rash, and Autumn is itchy.",
        ["daughter Autumn", "and Autumn"],
        ["Autumn is rough"],
    ),
    (
        "phone_cue_after_the_number",
        "555 0163 is my cell. We walked 300 1200 steps.",
        ["555 0163"],
        ["300 1200 steps"],
    ),
    (
        "more_time_words_before_abbreviated_months",
        "It was around Nov, or the week of Oct. I saw Jan at the clinic in Mar.",
        ["Nov", "Oct"],
        ["I saw Jan", "in Mar"],
    ),
    (
        "state_or_province_code_after_a_city",
        "We drove to Waukesha WI last week; my aunt lives in Thunder Bay, ON.",
        ["Waukesha", "WI", "Thunder Bay", ", ON."],
        ["We drove to", "last week"],
    ),
    (
        "our_lady_of",
        "Mom goes to Our Lady of Guadalupe on Sundays, and the owner of Maple & Vine drives her.",
        ["Guadalupe", "Maple & Vine"],
        ["on Sundays", "drives her"],
    ),
    (
        "role_words_before_ordinary_lower_case_words",
        "dad fell off a ladder. my baby girl is doing great, my husband was doing yard work, "
        "my sons lead level is 4 and mom goes to church on Sundays",
        [],
        ["fell off a ladder", "doing great", "doing yard work", "lead level", "on Sundays"],
    ),
    (
        "word_name_after_its_introduction_opens_sentences",
        "Our son Jack and his twin Miles both have croup. Jack is worse. Miles is ok. Will you call?",
        ["son Jack", "Jack is worse", "Miles is ok"],
        ["Will you call", "both have croup"],
    ),
    (
        "all_caps_sentence_before_an_organisation_kind",
        "MY SON JAMES HARRIS IS ON THE SCHOOL TEAM. "
        "PLEASE SCHEDULE A HOME VISIT FOR MY DAUGHTER IN LAW CHERYL",
        ["JAMES", "HARRIS", "CHERYL"],
        ["IS ON THE SCHOOL TEAM", "PLEASE SCHEDULE A HOME VISIT", "MY DAUGHTER IN LAW"],
    ),
    (
        "title_then_comma_and_full_stop_ends_a_name",
        "I saw the PA, Faith, last time. I'm writing for my uncle Ray. Ray has COPD.",
        ["Faith", "uncle Ray", "Ray has"],
        ["last time", "has COPD", "I'm writing for my uncle"],
    ),
    (
        "word_name_recurs_in_lower_case",
        "hey its me. my bf hunter has the flu. hunter's mom said to call.",
        ["bf hunter", "hunter's mom"],
        ["has the flu", "said to call"],
    ),
    (
        "word_name_recurs_in_all_caps",
        "MY DAUGHTER GRACE HAS A FEVER. GRACE IS 4. BY THE GRACE OF GOD SHE SLEEPS.",
        ["DAUGHTER GRACE", "GRACE IS 4"],
        ["BY THE GRACE OF GOD"],
    ),
    (
        "capitalised_name_does_not_make_the_word_a_name",
        "Summer's tremor is worse since summer started. It hurts to nurse, fever 101.5 since the bill came.",
        ["Summer's"],
        ["since summer started", "nurse, fever 101.5", "the bill came"],
    ),
    (
        "all_caps_self_introduction_mid_message",
        "HELLO DR NGUYEN THIS IS EARL T. PICKERING. MY HUSBAND'S NAME IS ART. ART'S DAUGHTER CALLED.",
        ["EARL", "PICKERING", "ART"],
        ["HELLO DR", "DAUGHTER CALLED"],
    ),
    (
        "self_introduction_words_that_are_not_names",
        "ok so this is rose gold and it's bill pay day. this is grant money.",
        [],
        ["rose gold", "bill pay day", "grant money"],
    ),
    (
        "city_abroad_in_all_caps",
        "WE ARE VISITING OUR SON IN THUNDER BAY UNTIL THE END OF SEPT. IT WAS A NICE BATH. "
        "THIS IS MAJOR NEWS.",
        ["THUNDER BAY", "SEPT"],
        ["VISITING OUR SON", "NICE BATH", "MAJOR NEWS"],
    ),
    (
        "shop_on_a_street_in_lower_case",
        "can u send it to the cvs on gammon or the walgreens off odana rd. not the pharmacy on monday, "
        "the clinic on file or the one on eliquis",
        ["gammon", "odana"],
        ["pharmacy on monday", "clinic on file", "one on eliquis"],
    ),
    (
        "resident_and_intern_as_titles",
        "I saw Resident Terrence Baptiste and intern Kwame Osei. The resident said it was fine.",
        ["Terrence", "Baptiste", "Kwame", "Osei"],
        ["The resident said it was fine"],
    ),
    (
        "role_word_is_adjective",
        "the person was able to help me and the guy is young. my friend was able to drive. "
        "the girl is fine, a guy named rocky helped",
        ["rocky"],
        ["was able to help", "guy is young", "friend was able", "girl is fine"],
    ),
]

XFAIL: dict[str, str] = {}

KNOWN = {
    "chart_aware_typos": KnownIdentifiers(names=["Kathryn O'Connell"], dob="1962-07-09", mrn="4471920"),
}


@pytest.fixture(scope="module")
def d() -> Deidentifier:
    deid = Deidentifier()
    deid.warm_up()
    return deid


@pytest.mark.parametrize(("name", "text", "gone", "kept"), CASES, ids=[c[0] for c in CASES])
def test_hard_case(
    d: Deidentifier, request: pytest.FixtureRequest, name: str, text: str, gone: list[str], kept: list[str]
) -> None:
    if name in XFAIL:
        request.applymarker(pytest.mark.xfail(reason=XFAIL[name], strict=False))
    r = d.deidentify(text, known=KNOWN.get(name))
    leaked = [g for g in gone if g.casefold() in r.text.casefold()]
    dropped = [k for k in kept if k.casefold() not in r.text.casefold()]
    assert leaked == [], r.text
    assert dropped == [], r.text
    assert r.reidentify(r.text) == text
