//! The demo tenant's administration data: who holds which license (one of them through
//! a group), who holds an admin role, and who may send as whom.

use crate::store::TenantData;
use crate::store::admin::{GLOBAL_ADMIN, Licenses, sync_assigned_licenses};

const E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
const EMS: &str = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e";
const EXCHANGE: &str = "4b9405b0-7788-4568-add1-99614e613b69";

pub(crate) fn seed(data: &mut TenantData) {
    let id = |upn: &str| data.directory.find(upn).map(|u| u.id.clone());
    let licenses: [(&str, &[&'static str], &[&'static str]); 5] = [
        ("soc.analyst@contoso.example", &[E5], &[]),
        ("alex.wilber@contoso.example", &[E3, EMS], &[]),
        // E3 through the "Retail Licensing" group: removing it from the user fails.
        ("adele.vance@contoso.example", &[EMS], &[E3]),
        ("megan.bowen@contoso.example", &[E5], &[]),
        ("finance.team@contoso.example", &[EXCHANGE], &[]),
    ];
    let mut assigned = Vec::new();
    for (upn, direct, inherited) in licenses {
        let Some(user) = id(upn) else { continue };
        assigned.push((
            user.clone(),
            Licenses {
                direct: direct.to_vec(),
                inherited: inherited
                    .iter()
                    .map(|s| (*s, "Retail Licensing".to_string()))
                    .collect(),
            },
        ));
    }
    for (user, l) in assigned {
        data.admin.licenses.insert(user, l);
    }
    if let Some(megan) = id("megan.bowen@contoso.example") {
        data.admin
            .roles
            .insert(megan, vec![GLOBAL_ADMIN.to_string()]);
    }
    // The SOC may send as the shared finance mailbox (Exchange Send As right).
    if let Some(analyst) = id("soc.analyst@contoso.example") {
        data.admin
            .send_as
            .insert(analyst, vec!["finance.team@contoso.example".to_string()]);
    }
    sync_assigned_licenses(data);
}
