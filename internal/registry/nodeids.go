package registry

// NodeID methods give each type its global ID without a resolver: the API
// binds its id fields to them, so naming an object costs no goroutine.

func (x *State) NodeID() string            { return GlobalID("State", x.ID) }
func (x *Agency) NodeID() string           { return GlobalID("Agency", x.ID) }
func (x *Vendor) NodeID() string           { return GlobalID("Vendor", x.ID) }
func (x *Product) NodeID() string          { return GlobalID("Product", x.ID) }
func (x *Technology) NodeID() string       { return GlobalID("Technology", x.ID) }
func (x *Deployment) NodeID() string       { return GlobalID("Deployment", x.ID) }
func (x *Abuse) NodeID() string            { return GlobalID("Abuse", x.ID) }
func (x *Community) NodeID() string        { return GlobalID("ReligiousCommunity", x.ID) }
func (x *DesignationList) NodeID() string  { return GlobalID("DesignationList", x.ID) }
func (x *Designation) NodeID() string      { return GlobalID("Designation", x.ID) }
func (x *ControlListEntry) NodeID() string { return GlobalID("ControlListEntry", x.ID) }
func (x *Source) NodeID() string           { return GlobalID("Source", x.ID) }
func (x *VendorResponse) NodeID() string   { return GlobalID("VendorResponse", x.ID) }
func (x *Citation) NodeID() string         { return GlobalID("Citation", x.ID) }
