"""Texts of ``data/job_offer_rules.json`` marked for gettext, so the rules file's questions,
indicators, warnings and next steps are extracted into the catalogues. Generated; a test keeps it
in step with the rules file (tests/prevent/test_prevent_checker.py)."""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

RULE_TEXTS = [
    _(
        "Have you been asked to pay a fee to the agency, the recruiter or the employer to get this job?"
    ),
    _("Were you told that the employer or the agency will keep your passport or identity card?"),
    _("Have you received a written contract, in a language you understand, before you travel?"),
    _("Were you told to travel on a tourist visa, or to work without a work permit?"),
    _("Is the agency in the official list of licensed recruitment agencies?"),
    _("Is the pay much higher than usual for this work, even with no experience?"),
    _("Can you reach them only through a messenger app or social media?"),
    _("Will they pay your travel or housing now and take it from your wages later?"),
    _("Have you failed to find an office address, a landline or a company registration for them?"),
    _("Are they pushing you to decide or to leave very quickly?"),
    _("Is it unclear who the employer is, where you will work or what the work is?"),
    _("Were you told that you will sign a different contract when you arrive?"),
    _("Must you live where the employer decides and pay them for it?"),
    _("Were you told not to tell anyone about the job, or what to say at the border?"),
    _("Will your wages be kept back until the end of the contract?"),
    _(
        "Were you asked to send photos of your body, or invited to a 'photo shoot' or 'modelling' job?"
    ),
    _("Recruitment fees charged to the worker (employer-pays principle)"),
    _(
        "You were asked to pay to get the job. Fair recruiters do not charge workers: the employer pays."
    ),
    _(
        "Ask in writing what the money is for. Do not pay before you have checked the agency's licence."
    ),
    _("Retention of identity documents"),
    _(
        "Your passport or identity card would be kept by someone else. Nobody may keep your documents."
    ),
    _("Keep your passport yourself. Leave a copy with someone you trust at home."),
    _(
        "Deceptive recruitment: about the content of the contract; terms not in writing in a language the worker understands"
    ),
    _("You have no written contract in a language you understand before you travel."),
    _(
        "Ask for the contract in your language before you leave. Read the pay, hours, housing and who your employer is."
    ),
    _("Deceptive recruitment: about legal documentation and migration status"),
    _(
        "You would work without a work permit. Then you have fewer rights and can be threatened more easily."
    ),
    _("Ask the embassy of the destination country which visa this work needs."),
    _("Recruitment by an unlicensed agency"),
    _("The agency is not in the official list of licensed agencies."),
    _("Check the agency in the licence registry below and in your country's official list."),
    _("Deceptive recruitment: about wages and working conditions (offer too good to be true)"),
    _("The pay is much higher than usual for this work. This is a common lure."),
    _("Compare the pay with other offers for the same work in that country."),
    _("Contact only through messengers or social media (fake agency)"),
    _("You can reach them only through a messenger or social media."),
    _("Ask for a company name, an address and a landline, and check them."),
    _("Debt bondage: travel and housing advanced and repaid from wages"),
    _(
        "You would start the job owing them money. A debt like this is often used to control workers."
    ),
    _("Ask for the exact amount in writing, and how much will be taken from each wage."),
    _("No verifiable business: no address, landline or registration"),
    _("You could not find an address, a landline or a registration for them."),
    _("Search the company register of the destination country and ask the embassy."),
    _("Pressure to decide or leave quickly"),
    _("You are pushed to decide quickly. This leaves you no time to check."),
    _("Take the time to check. A real employer can wait a few days."),
    _("Deceptive recruitment: about the nature of the job, the employer or the location"),
    _("It is not clear who the employer is, where you will work or what the work is."),
    _("Ask for the employer's name, the address of the workplace and a description of the work."),
    _("Contract substitution"),
    _(
        "You would sign a different contract after you arrive. The first promises may not count then."
    ),
    _("Ask for the final contract before you travel, and keep a copy."),
    _("Exploitative conditions: housing imposed and charged by the employer"),
    _("You must live where the employer decides and pay them for it."),
    _("Ask how much the housing costs, and whether you may live elsewhere."),
    _("Deception about the purpose of travel; isolation"),
    _("You were told to keep the job secret or what to say at the border."),
    _("Talk to someone you trust and to a hotline before you go."),
    _("Withholding of wages"),
    _("Your wages would be kept back. Withheld wages are used to stop workers from leaving."),
    _("Ask to be paid at least every month, into your own bank account."),
    _("Recruitment for sexual exploitation disguised as modelling or photo work"),
    _(
        "You were asked for photos of your body or invited to a 'photo shoot'. This is a known way to recruit for sexual exploitation."
    ),
    _("Do not send photos. Talk to a hotline before you answer."),
]
