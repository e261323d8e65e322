"""Reports Bastion produces: hotline reports (NCMEC CyberTipline, UK NCA and IWF referrals)."""
