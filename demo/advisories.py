"""The demo's sources and advisories.

The vendor-trust advisories are the real ones that made this project necessary (see
``shared/reference/real-advisories.md``): each names its issuer and date and is summarised here
in our own words. The CVE advisories use the affected ranges their vendors published; where a
vendor later added hotfix trains, the note on the target says so rather than guessing them.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from advisories.choices import AdvisoryKind as K
from advisories.choices import RecommendedAction as A
from advisories.choices import Severity as S
from advisories.choices import SourceKind, TargetKind
from demo.specs import AdvisorySpec, ReferenceSpec, SourceSpec, TargetSpec
from vendors.choices import CriticalityTier, Sector

SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        "bsi",
        "BSI (Federal Office for Information Security)",
        SourceKind.NATIONAL_CERT,
        country="DE",
        website="https://www.bsi.bund.de",
        description="Germany's national cyber-security authority.",
    ),
    SourceSpec(
        "us-dhs-cisa",
        "US DHS / CISA",
        SourceKind.NATIONAL_CERT,
        country="US",
        website="https://www.cisa.gov",
        description=(
            "The US Department of Homeland Security and its Cybersecurity and Infrastructure "
            "Security Agency, which issues binding operational directives to federal agencies."
        ),
    ),
    SourceSpec(
        "us-congress",
        "US Congress",
        SourceKind.GOVERNMENT,
        country="US",
        website="https://www.congress.gov",
    ),
    SourceSpec(
        "european-parliament",
        "European Parliament",
        SourceKind.GOVERNMENT,
        website="https://www.europarl.europa.eu",
    ),
    SourceSpec(
        "us-fcc",
        "US FCC (Federal Communications Commission)",
        SourceKind.REGULATOR,
        country="US",
        website="https://www.fcc.gov",
        description="Keeps the Covered List of equipment and services that pose a risk.",
    ),
    SourceSpec(
        "csirt-italia-acn",
        "CSIRT Italia / ACN",
        SourceKind.NATIONAL_CERT,
        country="IT",
        website="https://www.acn.gov.it",
        description="Italy's National Cybersecurity Agency (ACN) and its CSIRT.",
    ),
    SourceSpec(
        "us-commerce-bis",
        "US Department of Commerce (BIS)",
        SourceKind.GOVERNMENT,
        country="US",
        website="https://www.bis.gov",
        description="Bureau of Industry and Security; rules on ICTS supply-chain risks.",
    ),
    SourceSpec(
        "apache-security",
        "Apache Software Foundation Security Team",
        SourceKind.VENDOR_PSIRT,
        website="https://www.apache.org/security/",
    ),
    SourceSpec(
        "fortinet-psirt",
        "Fortinet PSIRT",
        SourceKind.VENDOR_PSIRT,
        website="https://www.fortiguard.com/psirt",
    ),
    SourceSpec(
        "cisco-psirt",
        "Cisco PSIRT",
        SourceKind.VENDOR_PSIRT,
        website="https://sec.cloudapps.cisco.com/security/center/publicationListing.x",
    ),
    SourceSpec(
        "palo-alto-psirt",
        "Palo Alto Networks PSIRT",
        SourceKind.VENDOR_PSIRT,
        website="https://security.paloaltonetworks.com",
    ),
    SourceSpec(
        "ivanti-psirt",
        "Ivanti Security Advisories",
        SourceKind.VENDOR_PSIRT,
        website="https://www.ivanti.com/blog/topics/security-advisory",
    ),
    SourceSpec(
        "citrix-psirt",
        "Citrix / NetScaler Security Bulletins",
        SourceKind.VENDOR_PSIRT,
        website="https://support.citrix.com",
    ),
    SourceSpec(
        "atlassian-security",
        "Atlassian Security Advisories",
        SourceKind.VENDOR_PSIRT,
        website="https://www.atlassian.com/trust/security/advisories",
    ),
    SourceSpec(
        "vendorwatch",
        "Vendorwatch team",
        SourceKind.INTERNAL,
        description="Our own assessments and working notes.",
    ),
)

# Every Kaspersky advisory covers the whole group: the UK company is owned from Moscow.
KASPERSKY_GROUP = TargetSpec(
    TargetKind.VENDOR,
    vendor="kaspersky-lab",
    include_subsidiaries=True,
    note="AO Kaspersky Lab and every company it owns.",
)

FCC_COVERED_LIST = ReferenceSpec(
    "https://www.fcc.gov/supplychain/coveredlist",
    "FCC: List of Covered Equipment and Services",
    is_self=True,
)

BOD_17_01_ISSUED = datetime.date(2017, 9, 13)

# Kinds are spelt out once so that the table below reads like the real-advisories table.
VENDOR_ADVISORIES: tuple[AdvisorySpec, ...] = (
    AdvisorySpec(
        source="us-dhs-cisa",
        identifier="BOD-17-01",
        title="Binding Operational Directive 17-01: remove Kaspersky-branded products",
        summary=(
            "The Department of Homeland Security ordered every federal civilian executive-branch "
            "agency to find Kaspersky-branded products on its systems, plan their removal and "
            "then remove them. DHS was concerned that the company's ties to Russian intelligence "
            "and Russian law allowing the state to compel its help, together with the broad "
            "access antivirus software has, put federal information at risk."
        ),
        kind=K.PROHIBITION,
        severity=S.HIGH,
        issued_on=BOD_17_01_ISSUED,
        recommended_action=A.REPLACE,
        action_details=(
            "Identify every Kaspersky-branded product within 30 days (by 2017-10-13); "
            "produce a detailed plan to remove it within 60 days (by 2017-11-12); "
            "begin removal 90 days after the directive (2017-12-12), unless told otherwise."
        ),
        action_deadline=BOD_17_01_ISSUED + datetime.timedelta(days=90),
        audience_sectors=(Sector.GOVERNMENT,),
        targets=(KASPERSKY_GROUP,),
        references=(
            ReferenceSpec(
                "https://www.cisa.gov/news-events/directives/bod-17-01-removal-kaspersky-branded-products",
                "CISA: BOD 17-01, Removal of Kaspersky-branded Products",
                is_self=True,
            ),
        ),
    ),
    AdvisorySpec(
        source="us-congress",
        identifier="NDAA-FY2018-1634",
        title="NDAA for fiscal year 2018, section 1634: Kaspersky banned from federal systems",
        summary=(
            "Section 1634 of the National Defense Authorization Act for fiscal year 2018 (Public "
            "Law 115-91) forbids every department, agency and organization of the US federal "
            "government from using hardware, software or services developed or provided, in "
            "whole or in part, by Kaspersky Lab or any entity it controls or owns a majority of."
        ),
        kind=K.PROHIBITION,
        severity=S.HIGH,
        issued_on=datetime.date(2017, 12, 12),
        recommended_action=A.REPLACE,
        action_details="The prohibition takes effect on 2018-10-01.",
        action_deadline=datetime.date(2018, 10, 1),
        audience_sectors=(Sector.GOVERNMENT, Sector.DEFENCE),
        targets=(KASPERSKY_GROUP,),
        references=(
            ReferenceSpec(
                "https://www.congress.gov/bill/115th-congress/house-bill/2810",
                "Congress.gov: H.R.2810, National Defense Authorization Act for FY2018",
                is_self=True,
            ),
        ),
    ),
    AdvisorySpec(
        source="european-parliament",
        identifier="A8-0189/2018",
        title="Resolution on cyber defence asks EU institutions to exclude Kaspersky Lab software",
        summary=(
            "In its resolution of 13 June 2018 on cyber defence, the European Parliament called "
            "on the EU to review software, IT and communications equipment and infrastructure "
            "used by its institutions and to exclude programs and devices confirmed as "
            "malicious, naming Kaspersky Lab among them. The resolution is not binding."
        ),
        kind=K.INFORMATIONAL,
        severity=S.MEDIUM,
        issued_on=datetime.date(2018, 6, 13),
        recommended_action=A.ASSESS,
        audience_sectors=(Sector.GOVERNMENT,),
        targets=(KASPERSKY_GROUP,),
        references=(
            ReferenceSpec(
                "https://www.europarl.europa.eu/doceo/document/A-8-2018-0189_EN.html",
                "European Parliament: report A8-0189/2018 on cyber defence",
                is_self=True,
            ),
        ),
    ),
    AdvisorySpec(
        source="us-fcc",
        identifier="FCC-COVERED-LIST-2021-03-12",
        title="FCC Covered List: Huawei, ZTE, Hytera, Hikvision and Dahua equipment",
        summary=(
            "The FCC published its first list of communications equipment and services found to "
            "pose an unacceptable risk to US national security. It covers telecommunications "
            "equipment made or supplied by Huawei and ZTE, and video-surveillance and "
            "telecommunications equipment made or supplied by Hytera, Hikvision and Dahua when "
            "used for public safety, the security of government facilities, physical "
            "surveillance of critical infrastructure or other national-security purposes. Each "
            "entry extends to the company's subsidiaries and affiliates. Federal subsidies may "
            "not be spent on covered equipment."
        ),
        kind=K.PROHIBITION,
        severity=S.HIGH,
        issued_on=datetime.date(2021, 3, 12),
        recommended_action=A.REPLACE,
        audience_sectors=(Sector.TELECOM, Sector.GOVERNMENT),
        audience_tiers=(CriticalityTier.CRITICAL_INFRASTRUCTURE,),
        targets=(
            # Huawei and ZTE: every product of theirs in the catalogue is telecom or network
            # gear, so the vendor target is exactly the listed scope.
            TargetSpec(
                TargetKind.VENDOR,
                vendor="huawei",
                include_subsidiaries=True,
                note="Telecommunications equipment, including subsidiaries and affiliates.",
            ),
            TargetSpec(
                TargetKind.VENDOR,
                vendor="zte",
                include_subsidiaries=True,
                note="Telecommunications equipment, including subsidiaries and affiliates.",
            ),
            TargetSpec(
                TargetKind.VENDOR,
                vendor="hytera",
                include_subsidiaries=True,
                note="Two-way radio and dispatch equipment.",
            ),
            # Hikvision and Dahua: the list names equipment, so the cameras and recorders are
            # covered but the desktop client and management software are not.
            TargetSpec(TargetKind.PRODUCT, product="hikvision/ip-camera"),
            TargetSpec(TargetKind.PRODUCT, product="hikvision/nvr"),
            TargetSpec(TargetKind.PRODUCT, product="dahua/ip-camera"),
            TargetSpec(TargetKind.PRODUCT, product="dahua/nvr"),
        ),
        references=(FCC_COVERED_LIST,),
    ),
    AdvisorySpec(
        source="bsi",
        identifier="BSI-WARNING-2022-03-15-KASPERSKY",
        title="Warning under §7 BSI Act: replace Kaspersky antivirus software",
        summary=(
            "The BSI warned against using antivirus software from the Russian vendor Kaspersky "
            "and recommended replacing it with products from other vendors. Antivirus software "
            "runs with far-reaching system rights and keeps a permanent, encrypted connection to "
            "its vendor's servers that users cannot check; a vendor acting under pressure from "
            "its state, or whose systems are abused, could turn it against its own customers. "
            "Operators of critical infrastructure and organizations with special security "
            "interests are most at risk. The Administrative Court of Cologne refused Kaspersky's "
            "urgent application against the warning on 2022-04-01 (1 L 466/22) and the Higher "
            "Administrative Court of North Rhine-Westphalia upheld it on 2022-04-28 (4 B 473/22)."
        ),
        kind=K.VENDOR_WARNING,
        severity=S.HIGH,
        issued_on=datetime.date(2022, 3, 15),
        recommended_action=A.REPLACE,
        action_details=(
            "Replace the products with alternatives, but plan and prepare the switch carefully: "
            "removing protection in haste leaves systems without any. Where you cannot switch "
            "at once, get advice from the BSI or an IT-security service provider."
        ),
        audience_tiers=(CriticalityTier.CRITICAL_INFRASTRUCTURE, CriticalityTier.SPECIAL_INTEREST),
        targets=(KASPERSKY_GROUP,),
        references=(
            ReferenceSpec(
                "https://www.bsi.bund.de/DE/Service-Navi/Presse/Pressemitteilungen/Presse2022/220315_Kaspersky-Warnung.html",
                "BSI press release of 15 March 2022",
                is_self=True,
            ),
        ),
    ),
    AdvisorySpec(
        source="csirt-italia-acn",
        identifier="CSIRT-IT-2022-03-15-RU",
        title="Assess technology supplied by Russian companies",
        summary=(
            "Given the war in Ukraine, CSIRT Italia urged organizations to assess, as a matter of "
            "urgency, the risk of relying on technology from Russian companies or companies "
            "linked to Russia, and to diversify where the risk is too high — security software "
            "in particular, which needs deep access to the systems it protects."
        ),
        kind=K.VENDOR_WARNING,
        severity=S.MEDIUM,
        issued_on=datetime.date(2022, 3, 15),
        recommended_action=A.ASSESS,
        action_details="Run a risk assessment of each such product and plan diversification.",
        targets=(
            TargetSpec(
                TargetKind.JURISDICTION,
                country="RU",
                note="Vendors headquartered in Russia or owned from there.",
            ),
        ),
        references=(ReferenceSpec("https://www.csirt.gov.it/", "CSIRT Italia", is_self=True),),
    ),
    AdvisorySpec(
        source="us-fcc",
        identifier="FCC-COVERED-LIST-2022-03-25",
        title="FCC Covered List adds Kaspersky, China Mobile International USA, China Telecom "
        "(Americas)",
        summary=(
            "The FCC added to its Covered List the information-security products, solutions and "
            "services supplied directly or indirectly by AO Kaspersky Lab and its predecessors, "
            "successors, parents, subsidiaries and affiliates, and the international "
            "telecommunications services of China Mobile International USA and China Telecom "
            "(Americas)."
        ),
        kind=K.PROHIBITION,
        severity=S.HIGH,
        issued_on=datetime.date(2022, 3, 25),
        recommended_action=A.REPLACE,
        audience_sectors=(Sector.TELECOM, Sector.GOVERNMENT),
        targets=(
            KASPERSKY_GROUP,
            TargetSpec(TargetKind.VENDOR, vendor="china-mobile-international-usa"),
            TargetSpec(TargetKind.VENDOR, vendor="china-telecom-americas"),
        ),
        references=(FCC_COVERED_LIST,),
    ),
    AdvisorySpec(
        source="csirt-italia-acn",
        identifier="ACN-CIRCULAR-2022-04-21",
        title="Public administrations must diversify away from Kaspersky, Group-IB and "
        "Positive Technologies",
        summary=(
            "Acting under article 29 of decree-law 21/2022, the National Cybersecurity Agency "
            "told Italian public administrations to diversify away from security products and "
            "services of Kaspersky Lab, Group-IB and Positive Technologies: to procure "
            "alternatives and replace the products they run."
        ),
        kind=K.PROHIBITION,
        severity=S.HIGH,
        issued_on=datetime.date(2022, 4, 21),
        recommended_action=A.REPLACE,
        audience_sectors=(Sector.GOVERNMENT,),
        targets=(
            KASPERSKY_GROUP,
            TargetSpec(TargetKind.VENDOR, vendor="group-ib"),
            TargetSpec(TargetKind.VENDOR, vendor="positive-technologies"),
        ),
        references=(
            ReferenceSpec(
                "https://www.acn.gov.it/", "Agenzia per la Cybersicurezza Nazionale", is_self=True
            ),
        ),
    ),
    AdvisorySpec(
        source="us-commerce-bis",
        identifier="BIS-ICTS-2024-06-20-KASPERSKY",
        title="Final Determination: Kaspersky software and services barred in the United States",
        summary=(
            "The Department of Commerce's Bureau of Industry and Security found that Kaspersky's "
            "products and services pose an undue risk to US national security and barred them. "
            "Kaspersky may not enter into new agreements with US persons from 2024-07-20 and "
            "may no longer provide signature or software updates to US customers from "
            "2024-09-29. Using the products is not itself penalized, but they stop receiving "
            "updates and so lose their protective value."
        ),
        kind=K.PROHIBITION,
        severity=S.HIGH,
        issued_on=datetime.date(2024, 6, 20),
        recommended_action=A.REPLACE,
        action_details=(
            "No new agreements with Kaspersky from 2024-07-20; no more updates from 2024-09-29. "
            "Move to another product before the updates stop."
        ),
        action_deadline=datetime.date(2024, 9, 29),
        targets=(KASPERSKY_GROUP,),
        references=(
            ReferenceSpec(
                "https://www.federalregister.gov/documents/search?conditions%5Bterm%5D=Kaspersky+final+determination",
                "Federal Register: the Final Determination and related notices",
                is_self=True,
            ),
        ),
    ),
)

CVE_ADVISORIES: tuple[AdvisorySpec, ...] = (
    AdvisorySpec(
        source="apache-security",
        identifier="CVE-2021-44228",
        title="Log4Shell: remote code execution through JNDI lookups in Apache Log4j 2",
        summary=(
            "Log4j 2 evaluated lookups inside logged messages, so an attacker who can get a "
            "crafted string logged can make the application load and run code from a server of "
            "their choosing. Exploited at scale since December 2021."
        ),
        kind=K.VULNERABILITY,
        severity=S.CRITICAL,
        cvss_score=Decimal("10.0"),
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        known_exploited=True,
        issued_on=datetime.date(2021, 12, 10),
        recommended_action=A.UPDATE,
        action_details=(
            "Upgrade log4j-core to 2.17.1 or later (2.12.4 on Java 7, 2.3.2 on Java 6). "
            "Releases 2.3.1, 2.12.2 and 2.12.3 already close this hole."
        ),
        cves=("CVE-2021-44228",),
        targets=(
            TargetSpec(
                TargetKind.PURL,
                purl="pkg:maven/org.apache.logging.log4j/log4j-core",
                version_range="vers:maven/>=2.0-beta9|<2.15.0",
            ),
            TargetSpec(
                TargetKind.PRODUCT_RANGE,
                product="apache/log4j-core",
                version_range="vers:maven/>=2.0-beta9|<2.15.0",
                note="For inventories that list the product by name, without a purl.",
            ),
            TargetSpec(
                TargetKind.PURL,
                purl="pkg:maven/org.apache.logging.log4j/log4j-core",
                version_range="vers:maven/2.3.1|2.12.2|2.12.3",
                is_exclusion=True,
                note="Security releases for Java 6 and Java 7 that fix it.",
            ),
            TargetSpec(
                TargetKind.PRODUCT_RANGE,
                product="apache/log4j-core",
                version_range="vers:maven/2.3.1|2.12.2|2.12.3",
                is_exclusion=True,
                note="Security releases for Java 6 and Java 7 that fix it.",
            ),
        ),
        references=(
            ReferenceSpec(
                "https://logging.apache.org/log4j/2.x/security.html",
                "Apache Log4j security vulnerabilities",
                is_self=True,
            ),
            ReferenceSpec("https://nvd.nist.gov/vuln/detail/CVE-2021-44228", "NVD"),
        ),
    ),
    AdvisorySpec(
        source="fortinet-psirt",
        identifier="FG-IR-22-377",
        title="FortiOS / FortiProxy: authentication bypass on the administrative interface",
        summary=(
            "An alternate path in the administrative HTTP/HTTPS interface lets an "
            "unauthenticated attacker perform administrative operations with crafted requests. "
            "Exploited in the wild."
        ),
        kind=K.VULNERABILITY,
        severity=S.CRITICAL,
        cvss_score=Decimal("9.8"),
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        known_exploited=True,
        issued_on=datetime.date(2022, 10, 10),
        recommended_action=A.UPDATE,
        action_details=(
            "Upgrade FortiOS to 7.0.7 / 7.2.2 or later and FortiProxy to 7.0.7 / 7.2.1 or later; "
            "until then, restrict or disable the administrative interface on exposed ports."
        ),
        cves=("CVE-2022-40684",),
        targets=(
            # As the NVD records it: a CPE with start/end bounds per affected branch.
            TargetSpec(
                TargetKind.CPE,
                cpe="cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
                version_start_including="7.0.0",
                version_end_including="7.0.6",
            ),
            TargetSpec(
                TargetKind.CPE,
                cpe="cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
                version_start_including="7.2.0",
                version_end_including="7.2.1",
            ),
            TargetSpec(
                TargetKind.PRODUCT_RANGE,
                product="fortinet/fortiproxy",
                version_range="vers:generic/>=7.0.0|<=7.0.6|7.2.0",
            ),
        ),
        references=(
            ReferenceSpec(
                "https://www.fortiguard.com/psirt/FG-IR-22-377", "FortiGuard PSIRT", is_self=True
            ),
            ReferenceSpec("https://nvd.nist.gov/vuln/detail/CVE-2022-40684", "NVD"),
        ),
    ),
    AdvisorySpec(
        source="cisco-psirt",
        identifier="cisco-sa-iosxe-webui-privesc-j22SaA4z",
        title="Cisco IOS XE web UI: privilege escalation lets attackers create admin accounts",
        summary=(
            "A flaw in the web UI of IOS XE lets a remote, unauthenticated attacker create an "
            "account with full privileges and take over the device. Every IOS XE release is "
            "affected while the HTTP or HTTPS server feature is on. Actively exploited since "
            "September 2023."
        ),
        kind=K.VULNERABILITY,
        severity=S.CRITICAL,
        cvss_score=Decimal("10.0"),
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        known_exploited=True,
        issued_on=datetime.date(2023, 10, 16),
        recommended_action=A.MITIGATE,
        action_details=(
            "Disable the HTTP server feature on internet-facing systems ('no ip http server' "
            "and 'no ip http secure-server'), check for unknown accounts and implants, then "
            "upgrade to a fixed release."
        ),
        cves=("CVE-2023-20198",),
        targets=(
            TargetSpec(
                TargetKind.PRODUCT,
                product="cisco/ios-xe",
                note="Every release, when the web UI is enabled.",
            ),
            TargetSpec(
                TargetKind.PRODUCT_RANGE,
                product="cisco/ios-xe",
                version_range="vers:generic/16.12.10a|17.3.8a|17.6.6a|17.9.4a",
                is_exclusion=True,
                note="The first fixed releases of each train.",
            ),
        ),
        references=(
            ReferenceSpec(
                "https://sec.cloudapps.cisco.com/security/center/content/CiscoSecurityAdvisory/cisco-sa-iosxe-webui-privesc-j22SaA4z",
                "Cisco Security Advisory",
                is_self=True,
            ),
            ReferenceSpec("https://nvd.nist.gov/vuln/detail/CVE-2023-20198", "NVD"),
        ),
    ),
    AdvisorySpec(
        source="palo-alto-psirt",
        identifier="CVE-2024-3400",
        title="PAN-OS GlobalProtect: unauthenticated command injection",
        summary=(
            "A command injection in the GlobalProtect feature of PAN-OS lets an unauthenticated "
            "attacker run code with root privileges on the firewall. Only firewalls with a "
            "GlobalProtect gateway or portal configured are exposed. Exploited in the wild."
        ),
        kind=K.VULNERABILITY,
        severity=S.CRITICAL,
        cvss_score=Decimal("10.0"),
        cvss_vector="CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
        known_exploited=True,
        issued_on=datetime.date(2024, 4, 12),
        recommended_action=A.UPDATE,
        action_details="Install the hotfix release for your branch (10.2.9-h1, 11.0.4-h1, "
        "11.1.2-h3 or later).",
        cves=("CVE-2024-3400",),
        targets=(
            TargetSpec(
                TargetKind.PRODUCT_RANGE,
                product="palo-alto-networks/pan-os",
                version_range=(
                    "vers:generic/>=10.2.0|<10.2.9-h1|>=11.0.0|<11.0.4-h1|>=11.1.0|<11.1.2-h3"
                ),
                note=(
                    "The ranges of the first advisory; hotfixes published later for older "
                    "maintenance releases are not modelled here."
                ),
            ),
        ),
        references=(
            ReferenceSpec(
                "https://security.paloaltonetworks.com/CVE-2024-3400",
                "Palo Alto Networks Security Advisory",
                is_self=True,
            ),
        ),
    ),
    AdvisorySpec(
        source="ivanti-psirt",
        identifier="CVE-2023-46805",
        title="Ivanti Connect Secure and Policy Secure: authentication bypass chained with "
        "command injection",
        summary=(
            "An authentication bypass in the web component (CVE-2023-46805), chained with a "
            "command injection (CVE-2024-21887), lets a remote attacker run arbitrary commands "
            "on the gateway without credentials. Every supported 9.x and 22.x release was "
            "affected when disclosed, and the chain was exploited before patches existed."
        ),
        kind=K.VULNERABILITY,
        severity=S.CRITICAL,
        cvss_score=Decimal("8.2"),
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:N",
        known_exploited=True,
        issued_on=datetime.date(2024, 1, 10),
        recommended_action=A.MITIGATE,
        action_details=(
            "Import the vendor's mitigation configuration, run the external integrity checker, "
            "and apply the patch for your release as soon as it is available."
        ),
        cves=("CVE-2023-46805", "CVE-2024-21887"),
        targets=(
            TargetSpec(TargetKind.PRODUCT, product="ivanti/connect-secure"),
            TargetSpec(TargetKind.PRODUCT, product="ivanti/policy-secure"),
        ),
        references=(
            ReferenceSpec("https://nvd.nist.gov/vuln/detail/CVE-2023-46805", "NVD", is_self=True),
            ReferenceSpec("https://nvd.nist.gov/vuln/detail/CVE-2024-21887", "NVD"),
        ),
    ),
    AdvisorySpec(
        source="citrix-psirt",
        identifier="CTX579459",
        title="NetScaler ADC and Gateway: session token disclosure ('Citrix Bleed')",
        summary=(
            "When configured as a gateway or AAA virtual server, NetScaler leaks memory that "
            "contains session tokens, which lets attackers hijack authenticated sessions and "
            "bypass multi-factor authentication. Exploited in the wild."
        ),
        kind=K.VULNERABILITY,
        severity=S.CRITICAL,
        cvss_score=Decimal("9.4"),
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:L",
        known_exploited=True,
        issued_on=datetime.date(2023, 10, 10),
        recommended_action=A.UPDATE,
        action_details=(
            "Upgrade to 14.1-8.50, 13.1-49.15 or 13.0-92.19 or later, then end every active "
            "session, since stolen tokens stay valid after the upgrade. 12.1 is end of life: "
            "move to a supported release."
        ),
        cves=("CVE-2023-4966",),
        targets=tuple(
            TargetSpec(
                TargetKind.PRODUCT_RANGE,
                product=f"citrix/{slug}",
                version_range=(
                    "vers:generic/>=12.1|<13.0-92.19|>=13.1|<13.1-49.15|>=14.1|<14.1-8.50"
                ),
                note="12.1 is end of life and affected in every build. FIPS builds differ.",
            )
            for slug in ("netscaler-adc", "netscaler-gateway")
        ),
        references=(
            ReferenceSpec(
                "https://support.citrix.com/article/CTX579459", "Citrix bulletin", is_self=True
            ),
            ReferenceSpec("https://nvd.nist.gov/vuln/detail/CVE-2023-4966", "NVD"),
        ),
    ),
    AdvisorySpec(
        source="atlassian-security",
        identifier="CVE-2023-22515",
        title="Confluence Data Center and Server: broken access control lets attackers create "
        "administrators",
        summary=(
            "Externally reachable Confluence instances can be made to create unauthorized "
            "administrator accounts. Releases before 8.0.0 are not affected."
        ),
        kind=K.VULNERABILITY,
        severity=S.CRITICAL,
        cvss_score=Decimal("10.0"),
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        known_exploited=True,
        issued_on=datetime.date(2023, 10, 4),
        recommended_action=A.UPDATE,
        action_details="Upgrade to 8.3.3, 8.4.3, 8.5.2 or later.",
        cves=("CVE-2023-22515",),
        targets=(
            TargetSpec(
                TargetKind.PRODUCT_RANGE,
                product="atlassian/confluence-data-center",
                version_range="vers:generic/>=8.0.0|<8.3.3|>=8.4.0|<8.4.3|>=8.5.0|<8.5.2",
            ),
        ),
        references=(
            ReferenceSpec("https://nvd.nist.gov/vuln/detail/CVE-2023-22515", "NVD", is_self=True),
            ReferenceSpec(
                "https://www.atlassian.com/trust/security/advisories",
                "Atlassian security advisories",
            ),
        ),
    ),
)

# A draft, so that the editor has something to preview before publishing.
DRAFT_ADVISORIES: tuple[AdvisorySpec, ...] = (
    AdvisorySpec(
        source="vendorwatch",
        identifier="VW-2024-001",
        title="Review products of vendors headquartered in, or owned from, China",
        summary=(
            "Working draft: several member organizations asked which of their products come "
            "from vendors under Chinese jurisdiction, including US subsidiaries of Chinese "
            "carriers. Preview the impact before deciding whether to publish."
        ),
        kind=K.INFORMATIONAL,
        severity=S.LOW,
        issued_on=None,
        recommended_action=A.ASSESS,
        targets=(TargetSpec(TargetKind.JURISDICTION, country="CN"),),
        publish=False,
    ),
)

ADVISORIES: tuple[AdvisorySpec, ...] = VENDOR_ADVISORIES + CVE_ADVISORIES + DRAFT_ADVISORIES
