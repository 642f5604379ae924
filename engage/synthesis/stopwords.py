"""Romanian and English stop words for theme finding (engage.synthesis.themes).

Composed for engage: the usual function words of both languages (articles, pronouns, prepositions,
conjunctions, auxiliary and modal verbs, common adverbs and determiners), plus a few words that
carry no topic in citizens' ideas ("propun", "please"). Romanian is written with comma-below ș ț;
every word is also present without diacritics (``_with_folded``), because many people type without
them. Old cedilla forms (ş ţ) never reach the lists: the tokeniser turns them into comma forms
first. Pure Python: importing this module loads nothing else.
"""

import unicodedata


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _with_folded(words: str) -> frozenset[str]:
    base = set(words.split())
    return frozenset(base | {_fold(w) for w in base})


ROMANIAN = _with_folded(
    """
    a ai al ale alea ăla ăia ălea aceasta această aceea acei aceia acel acela acele acelea acest
    acesta aceste acestea acestei acestia aceștia acestui acestuia acolo acum adică ah aici aia aibă
    aceluiași aceleași același aceeași
    ăsta asta ăstea astea ăștia ăstuia asupra atare atât atâta atâtea atâția atât atunci au avea
    avem aveți avut aș așa așadar aș ați aveau avea avusese
    bine da dacă dar dat datorită de deasupra deci decât deja deoarece departe despre deși din
    dinaintea dintr dintre doar după ea ei el ele eram este eu e ești era erau fără fi fie fiecare
    fiecărui fiecăruia fiecărei fiind fost foarte fel față fi fim fiți fu iar ieri îi îl îmi în
    înainte înapoi înspre între întrucât îți îţi încât încă îns însă însumi la le li lor lui mai
    mare mă măcar mea mei mele meu mereu mi mie mine mult multă mulți multe mulţi ne nevoie nici
    niciodată nimeni nimic niște noastră noastre noi noștri nostru nu numai o or ori oricare orice
    oricine oricum oriunde pe pentru peste poate pot prea prin printr printre puțin până sa să săi
    sale sau se și sub sunt suntem sunteți său spre sus ta tale te ti tine toată toate toți tot
    totul totuși tu tău un una unde unei uneia unele uneori unii unor unora unu unui unuia unul
    vă voastră voastre voi voștri vostru vouă vreo vreun va vom vor veți voi fost fie cum ce cel
    cea cele cei cine care căci cât câte câți cărui căruia cărei căreia cărora cu ca când
    iar nu am ar are aș ați avem aveți ăla sine sa său sau si ca pe cât câtă câtva ceva cineva
    fiecare fiindcă altă alt alte alți alții altul alta altceva altcineva aceasta acela acum
    către cumva dintre doi două trei patru cinci zece sută mii ar trebui trebuie putea poată poate
    vrea vrem vreau vreți vor fac face facem faceți făcut fie ori oare iată deci totodată
    propun propunem propunere sugerez sugestie vă rog rugăm mulțumesc
    """
)

ENGLISH = _with_folded(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can cannot could did do does doing don down during
    each either even ever every few for from further get gets got had has have having he her here
    hers herself him himself his how i if in into is isn it its itself just let like may me
    might more most much must my myself neither no nor not now of off often on once one only or
    other others otherwise ought our ours ourselves out over own per perhaps please rather really
    same shall she should since so some such than that the their theirs them themselves then there
    these they this those though through thus to too under until up upon us very via was we were
    what when where whether which while who whom whose why will with within without would yet you
    your yours yourself yourselves also already always another anyone anything around away back
    else enough etc instead least less lot lots many maybe never none nothing onto quite s t ll
    re ve d m don doesn didn won wouldn shouldn couldn isn aren wasn weren hasn haven hadn
    propose suggest suggestion idea ideas think need needs want wants would like thanks thank
    two three four five ten hundred
    """
)

STOPWORDS = ROMANIAN | ENGLISH
