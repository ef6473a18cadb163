"""The phrase rules hear a crisis in the person's own language (bot/data/safety_rules.yml, the
other-language sections): the English-trained detector hears nothing there, so these phrases are
all that stands between someone in danger and an ordinary reply. Each language has crisis messages,
written for this test as people type in a chat (no accents, typos, a relationship around them), and
calm ones that must stay calm: idioms ("dying of jealousy", "my mum will kill me"), jealousy,
phones, break-ups."""

from __future__ import annotations

import pytest

from bot import safety

CRISES = {
    "spanish": [
        ("self_harm", "desde que me dejo ya no kiero vivir, enserio"),
        ("self_harm", "mi novio se fue con otra y quiero acabar con todo"),
        ("self_harm", "me corte los brazos otra vez anoche porq me engano"),
        ("self_harm", "estoy juntando pastillas desde hace un mes"),
        ("self_harm", "pienso en tirarme de un puente, el ni me contesta"),
        ("abuse", "mi esposo me pego anoche y me dio una cachetada delante d los ninos"),
        ("abuse", "me agarro del cuello y me empujo contra la pared"),
        ("abuse", "amenaza con matarme si lo dejo"),
        ("abuse", "me quito el pasaporte y no me deja salir de la casa"),
        ("abuse", "mi ex amenaza con publicar mis fotos intimas"),
    ],
    "portuguese": [
        ("self_harm", "nao aguento mais viver assim, ele me traiu"),
        ("self_harm", "tomei todos os remedios da minha mae"),
        ("self_harm", "me cortei de novo ontem a noite"),
        ("self_harm", "penso em me jogar da ponte"),
        ("abuse", "meu marido me bateu de novo e me enforcou"),
        ("abuse", "ele ameacou me matar se eu for embora"),
        ("abuse", "ele me trancou em casa e pegou meu passaporte"),
        ("abuse", "meu ex ameaca vazar minhas fotos intimas"),
    ],
    "french": [
        ("self_harm", "je veux mourir depuis qu'il m'a quittee"),
        ("self_harm", "j'ai envie d'en finir, il me trompe"),
        ("self_harm", "jai pris toute la boite de cachets"),
        ("self_harm", "je me suis coupee les bras hier soir"),
        ("abuse", "il m'a frappee hier soir parce que j'ai parle a un collegue"),
        ("abuse", "il ma giflee devant sa mere"),
        ("abuse", "il menace de me tuer si je le quitte"),
        ("abuse", "il m'a pousse dans les escaliers"),
    ],
    "german": [
        ("self_harm", "ich will einfach nur sterben seit er weg ist"),
        ("self_harm", "hab mich wieder geritzt, er hat schluss gemacht"),
        ("self_harm", "ich hab alle tabletten genommen"),
        ("self_harm", "ich will von der brucke springen"),
        ("abuse", "er schlägt mich wenn er getrunken hat"),
        ("abuse", "mein freund hat mich gewürgt und gegen die wand gestoßen"),
        ("abuse", "er droht mich umzubringen wenn ich gehe"),
        ("abuse", "er sperrt mich in der wohnung ein"),
    ],
    "italian": [
        ("self_harm", "voglio farla finita, lui mi ha lasciata"),
        ("self_harm", "non ho piu voglia di vivere"),
        ("self_harm", "ho preso tutte le pillole di mia madre"),
        ("self_harm", "voglio buttarmi dal ponte"),
        ("abuse", "mi ha picchiata di nuovo ieri sera"),
        ("abuse", "mi ha spinta giu per le scale"),
        ("abuse", "ha detto che mi ammazza se lo lascio"),
        ("abuse", "mi ha costretta a fare sesso"),
    ],
    "dutch": [
        ("self_harm", "ik wil dood sinds hij weg is"),
        ("self_harm", "ik wil er een eind aan maken"),
        ("self_harm", "ik heb mezelf gesneden na de ruzie"),
        ("self_harm", "ik wil van de brug springen"),
        ("abuse", "hij slaat me als hij dronken is"),
        ("abuse", "mijn vriend heeft me gewurgd"),
        ("abuse", "hij dreigt me te vermoorden"),
        ("abuse", "hij heeft mijn paspoort afgepakt"),
    ],
    "polish": [
        ("self_harm", "chce umrzec odkad mnie zostawil"),
        ("self_harm", "znowu sie pocielam"),
        ("self_harm", "wzielam wszystkie tabletki"),
        ("self_harm", "chcę skoczyć z mostu"),
        ("abuse", "on mnie bije jak wypije"),
        ("abuse", "mąż mnie dusił wczoraj"),
        ("abuse", "grozi ze mnie zabije"),
        ("abuse", "zmusza mnie do seksu"),
    ],
    "turkish": [
        ("self_harm", "ölmek istiyorum, beni aldatti"),
        ("self_harm", "artik yasamak istemiyorum"),
        ("self_harm", "bileklerimi kestim"),
        ("self_harm", "butun ilaclari ictim"),
        ("abuse", "kocam beni dövüyor"),
        ("abuse", "bana tokat atti"),
        ("abuse", "beni öldürmekle tehdit ediyor"),
        ("abuse", "beni eve kilitledi"),
    ],
    "indonesian_malay": [
        ("self_harm", "aku pengen mati aja, dia selingkuh"),
        ("self_harm", "aku udah minum semua obat tidur"),
        ("self_harm", "aku nyayat tangan lagi"),
        ("self_harm", "gak mau hidup lagi"),
        ("abuse", "pacarku mukul aku kemarin"),
        ("abuse", "aku ditampar suamiku"),
        ("abuse", "dia ngancam bunuh aku kalau aku pergi"),
        ("abuse", "dia maksa aku berhubungan"),
    ],
    "tagalog": [
        ("self_harm", "gusto ko nang mamatay, niloko niya ako"),
        ("self_harm", "ayoko na mabuhay"),
        ("self_harm", "naglaslas ako kagabi"),
        ("self_harm", "tatalon ako sa tulay"),
        ("abuse", "sinasaktan niya ako tuwing lasing"),
        ("abuse", "sinampal niya ako"),
        ("abuse", "papatayin daw niya ako"),
        ("abuse", "kinuha niya ang passport ko"),
    ],
    "hindi_urdu": [
        ("self_harm", "mujhe marne ka mann karta hai"),
        ("self_harm", "main khudkushi kar lungi"),
        ("self_harm", "maine saari goliyan kha li"),
        ("self_harm", "maine apna hath kaat liya"),
        ("abuse", "mera pati mujhe roz maarta hai"),
        ("abuse", "usne mujhe thappad maara"),
        ("abuse", "usne mera gala dabaya"),
        ("abuse", "wo jaan se maarne ki dhamki deta hai"),
    ],
    "arabic_latin": [
        ("self_harm", "ana 3ayza amoot"),
        ("self_harm", "baddi mout, ma baddi 3ish"),
        ("self_harm", "5adt kol el 7obob"),
        ("self_harm", "ha2tel nafsi"),
        ("abuse", "howa byedrabni kol yom"),
        ("abuse", "5ana2ni embare7"),
        ("abuse", "bihadedni ye2telni"),
        ("abuse", "2afal 3alaya el bab"),
    ],
    "russian": [
        ("self_harm", "хочу умереть, он ушел к другой"),
        ("self_harm", "не хочу больше жить"),
        ("self_harm", "я выпила все таблетки"),
        ("self_harm", "hochu umeret"),
        ("abuse", "муж меня бьёт"),
        ("abuse", "он угрожает убить меня"),
        ("abuse", "он запер меня в квартире"),
        ("abuse", "on menya bet"),
    ],
    "romanian": [
        ("self_harm", "vreau sa mor, m-a inselat"),
        ("self_harm", "nu mai vreau să trăiesc"),
        ("self_harm", "am luat toate pastilele"),
        ("self_harm", "vreau sa sar de pe pod"),
        ("abuse", "sotul meu ma bate"),
        ("abuse", "m-a lovit cu pumnul"),
        ("abuse", "ameninta ca ma omoara"),
        ("abuse", "mi-a luat pasaportul"),
    ],
}

CALM = {
    "spanish": [
        "me muero de celos cuando habla con su ex",
        "mi novio me corto por whatsapp, que hago?",
        "voy a terminar con el, ya no aguanto sus mentiras",
        "es normal revisarle el celular a tu pareja?",
        "mi mama me va a matar si se entera que sali con el",
        "me amenaza con dejarme si no le doy mi contrasena",
        "fue un alivio cuando por fin terminamos",
        "marta me dijo que lo vio con otra chica",
    ],
    "portuguese": [
        "to morrendo de ciumes dele com a ex",
        "me bate uma saudade dele toda noite",
        "vou terminar com ele amanha",
        "minha mae vai me matar se souber",
        "nao quero mais viver com ele",
    ],
    "french": [
        "je meurs de jalousie quand il parle a son ex",
        "je vais en finir avec lui ce soir, c'est decide",
        "il me menace de me quitter si je sors",
        "ma mere va me tuer quand elle saura",
        "j'ai mange des pates au fromage râpé",
    ],
    "german": [
        "ich sterbe vor eifersucht wenn sie mit ihm schreibt",
        "ich mache schluss mit ihm",
        "meine mutter bringt mich um wenn sie das erfährt",
        "ich würde lieber sterben als noch ein date mit ihm",
    ],
    "italian": [
        "muoio di gelosia quando esce con le amiche",
        "voglio farla finita con lui, basta bugie",
        "mi sono tagliata i capelli dopo la rottura",
        "mia madre mi ammazza se lo scopre",
        "sono stanca morta",
    ],
    "dutch": [
        "ik ga dood van jaloezie als hij met haar appt",
        "ik maak het uit met hem",
        "hij bedreigt me met het uitmaken",
    ],
    "polish": [
        "umieram z zazdrości kiedy pisze z byłą",
        "dostalam wiadomosc od niego i nie wiem co odpisac",
        "zrywam z nim, mam dosc",
        "grozi mi ze mnie zostawi",
    ],
    "turkish": [
        "kıskançlıktan ölüyorum",
        "ondan ayriliyorum artik",
        "onunla yasamak istemiyorum",
        "annem beni öldürecek",
    ],
    "indonesian_malay": [
        "aku cemburu setengah mati sama mantannya",
        "hp aku mau mati",
        "aku mau putus sama dia",
        "dia ngancam putus kalau aku main sama temen",
    ],
    "tagalog": [
        "mamamatay ako sa selos",
        "makikipaghiwalay na ako sa kanya",
        "papatayin ako ng nanay ko pag nalaman niya",
    ],
    "hindi_urdu": [
        "main jalan se mar rahi hoon",
        "kaam khatam kar ke ghar aayi",
        "main usse breakup kar rahi hoon",
        "wo tum pe marta hai",
        "mummy mujhe maar dalegi",
    ],
    "arabic_latin": [
        "hamoot men el ghera",
        "mayet men el d7k",
        "3ayza asebo 5alas",
    ],
    "russian": [
        "умираю от ревности",
        "мама меня убьёт",
        "я с ним расстаюсь",
        "меня бьёт дрожь",
    ],
    "romanian": [
        "mor de gelozie",
        "ma despart de el",
        "ma bate la cap toata ziua",
        "mama o sa ma omoare",
    ],
}

URGENT = [
    "ya me tome todas las pastillas ahorita mismo",
    "esta rompiendo la puerta, amenaza con matarme",
    "ele ta quebrando a porta e disse que vai me matar",
    "jai deja pris toute la boite de cachets",
    "er tritt die tür ein und droht mich umzubringen",
    "sta sfondando la porta, ha detto che mi ammazza",
    "hij staat voor de deur en dreigt me te vermoorden",
    "juz wzielam wszystkie tabletki",
    "kapıyı kırıyor, beni öldürmekle tehdit ediyor",
    "dia lagi dobrak pintu, dia ngancam bunuh aku",
    "sinisira niya ang pinto, papatayin daw niya ako",
    "maine saari goliyan kha li abhi",
    "bykasar el bab delwa2ty, bihadedni ye2telni",
    "он ломает дверь, угрожает убить меня",
    "sunt pe pod, vreau sa mor",
]

NOT_URGENT = [
    "quiero acabar con todo, llevo meses asi",
    "je veux mourir depuis qu'il m'a quittee",
    "hij slaat me als hij dronken is",
]


def _cases(table):
    return [(language, *case) for language, cases in table.items() for case in cases]


@pytest.mark.parametrize(("language", "category", "message"), _cases(CRISES))
def test_a_crisis_in_the_persons_own_language_gets_the_right_help(language, category, message):
    assert safety.screen(message) == category, safety.matches(message)


@pytest.mark.parametrize(
    ("language", "message"),
    [(language, message) for language, messages in CALM.items() for message in messages],
)
def test_idioms_jealousy_and_break_ups_in_other_languages_are_not_a_crisis(language, message):
    assert safety.screen(message) is None, safety.matches(message)


def test_every_language_has_crises_of_both_kinds_and_calm_messages():
    assert set(CRISES) == set(CALM)
    for language, cases in CRISES.items():
        assert sum(c == "self_harm" for c, _ in cases) >= 3, language
        assert sum(c == "abuse" for c, _ in cases) >= 3, language
        assert len(CALM[language]) >= 2, language


@pytest.mark.parametrize("message", URGENT)
def test_danger_right_now_in_another_language_is_urgent(message):
    assert safety.screen(message) is not None, message
    assert safety.is_urgent(message)


@pytest.mark.parametrize("message", NOT_URGENT)
def test_a_crisis_without_danger_right_now_is_not_urgent(message):
    assert safety.screen(message) is not None
    assert not safety.is_urgent(message)


def test_a_plain_crisis_in_another_language_stands_undoubted():
    # With the detector not loaded the rules decide alone: these get the crisis reply.
    said = "ich will einfach nur sterben seit er weg ist"
    assert safety.rule_findings(said) == {"self_harm": True}
    assert safety.rule_findings("kocam beni dövüyor") == {"abuse": True}
